#!/usr/bin/env bash
# The steps of the qms GitHub Action (action.yml), one per argument:
#
#   action.sh install    build qms from this checkout (or 'go install'
#                        QMS_ACTION_VERSION) into $RUNNER_TEMP/qms-action
#   action.sh validate   qms validate
#   action.sh verify     qms verify, from QMS_ACTION_TRUST_ROOT (else
#                        $QMS_TRUST_ROOT), --strict if QMS_ACTION_STRICT=true;
#                        on a pull request --base origin/<its target> (or
#                        QMS_ACTION_BASE; "none": HEAD alone)
#
# validate and verify write annotations to the log (--format github),
# every finding to $GITHUB_STEP_SUMMARY (--format markdown: GitHub shows
# only 10 annotations of each kind per step), exit=N to $GITHUB_OUTPUT,
# and fail the step unless qms exits 0. They live here, not in action.yml,
# so that ci/ci_test.go can run them on a repository of its own.
set -euo pipefail

bin="${RUNNER_TEMP:?RUNNER_TEMP is not set: run this as a step of the qms action}/qms-action"
qms="$bin/qms"
module=github.com/qms-tool/qms

install() {
	mkdir -p "$bin"
	if [ -n "${QMS_ACTION_VERSION:-}" ]; then
		echo "installing $module/cmd/qms@$QMS_ACTION_VERSION"
		GOBIN="$bin" go install -ldflags "-X $module/internal/cli.Version=$QMS_ACTION_VERSION" "$module/cmd/qms@$QMS_ACTION_VERSION"
	else
		src=$(cd "$(dirname "$0")/.." && pwd)
		echo "building qms from $src (ref ${QMS_ACTION_REF:-unknown})"
		(cd "$src" && go build -ldflags "-X $module/internal/cli.Version=${QMS_ACTION_REF:-action}" -o "$qms" ./cmd/qms)
	fi
	"$qms" --version
}

# check COMMAND [FLAG...] runs qms twice: the markdown summary first (the
# first run is the one that may pin the trust root in .git/qms, and the
# summary says where it came from), then the annotations for the log,
# from the caches qms keeps in .git/qms, so cheaply.
check() {
	local cmd=$1 code=0
	shift
	if [ ! -x "$qms" ]; then
		echo "::error title=qms $cmd::qms is not installed (the install step did not run)"
		return 3
	fi
	{ "$qms" "$cmd" "$@" --format markdown 2>/dev/null || true; echo; } >>"$GITHUB_STEP_SUMMARY"
	"$qms" "$cmd" "$@" --format github || code=$?
	echo "exit=$code" >>"$GITHUB_OUTPUT"
	case $code in
	0) echo "qms $cmd: passed" ;;
	1) echo "qms $cmd: problems found; every finding is in the job summary" ;;
	*) echo "::error title=qms $cmd::qms $cmd could not run (exit status $code); the log above and the job summary say why" ;;
	esac
	return "$code"
}

verify() {
	local root=${QMS_ACTION_TRUST_ROOT:-${QMS_TRUST_ROOT:-}}
	if [ -n "$root" ]; then
		export QMS_TRUST_ROOT=$root
	else
		unset QMS_TRUST_ROOT
		echo "::warning title=qms verify: no trust root::no trust-root was given, so verification starts where the history's own qms.yaml says, which a rewritten history could change; set the action's trust-root from a repository variable or secret (COMMIT:FINGERPRINT)"
	fi
	if [ "$(git rev-parse --is-shallow-repository 2>/dev/null)" = true ]; then
		echo "::error title=qms verify: shallow clone::this checkout has only part of the history (actions/checkout fetches 1 commit unless told otherwise); set 'fetch-depth: 0' on actions/checkout so that qms can verify every commit from the trust root"
	fi
	if [ "${GITHUB_EVENT_NAME:-}" = pull_request ] || [ "${GITHUB_EVENT_NAME:-}" = pull_request_target ]; then
		if [ "$(git rev-parse HEAD 2>/dev/null)" = "${GITHUB_SHA:-}" ] && git rev-parse -q --verify HEAD^2 >/dev/null; then
			echo "::warning title=qms verify: test merge commit::this is GitHub's test merge of the pull request, a commit nobody signed; check out the branch itself: 'ref: \${{ github.event.pull_request.head.sha }}' on actions/checkout"
		fi
	fi
	local flags=()
	[ "${QMS_ACTION_STRICT:-false}" = true ] && flags+=(--strict)
	# A pull request is verified as what it adds on top of its target
	# (qms verify --base): the target's history must be there too.
	local base=${QMS_ACTION_BASE:-}
	if [ -z "$base" ] && [ -n "${GITHUB_BASE_REF:-}" ]; then
		base=origin/$GITHUB_BASE_REF
	fi
	[ "$base" = none ] && base=
	if [ -n "$base" ]; then
		if ! git rev-parse -q --verify "$base^{commit}" >/dev/null && [ "${base#origin/}" != "$base" ]; then
			git fetch -q --no-tags origin "+refs/heads/${base#origin/}:refs/remotes/$base" || true
		fi
		flags+=(--base "$base")
	fi
	check verify ${flags[@]+"${flags[@]}"}
}

case ${1:-} in
install) install ;;
validate) check validate ;;
verify) verify ;;
*)
	echo "usage: $0 install|validate|verify" >&2
	exit 2
	;;
esac
