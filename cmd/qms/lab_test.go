package main

import (
	"bufio"
	"os"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// The attack_*.txtar scenarios start from one signed QMS: the example's
// people with keys of their own, made by the real ssh-keygen and gpg.
func init() {
	extraCmds["lab"] = cmdLab
	extraCmds["as"] = cmdAs
	extraCmds["forge"] = cmdForge
}

// labScript turns the example QMS in the current directory (qms init
// --example) into a signed one: for each ID:TYPE it makes the person's key
// (TYPE ssh, ssh-dsa, ssh-rsa1024, gpg, gpg-sha1: self-signed with SHA-1,
// gpg-expired: made on 2026-01-01, expired a day later), puts its public
// half in keys/ and lists it, alone, in records/staff/ID.md. It prints the
// variables the scenario gets.
const labScript = `set -e
mkdir -p "$WORK/id"
git config commit.gpgSign true
for spec in "$@"; do
	id=${spec%%:*} typ=${spec#*:} f=records/staff/${spec%%:*}.md
	name=$(sed -n 's/^name: //p' "$f") email=$(sed -n 's/^email: //p' "$f")
	rm -f "keys/$id.asc" "keys/$id.pub"
	case $typ in
	ssh|ssh-dsa|ssh-rsa1024)
		case $typ in ssh) t='-t ed25519' ;; ssh-dsa) t='-t dsa' ;; ssh-rsa1024) t='-t rsa -b 1024' ;; esac
		ssh-keygen -q $t -N '' -C "$email" -f "$WORK/id/$id"
		cp "$WORK/id/$id.pub" "keys/$id.pub"
		fpr=$(ssh-keygen -lf "$WORK/id/$id.pub" | cut -d' ' -f2) file=$id.pub kt=ssh key=$WORK/id/$id.pub fmt=ssh ;;
	gpg|gpg-sha1|gpg-expired)
		d= exp=0
		[ "$typ" = gpg-sha1 ] && d='--cert-digest-algo SHA1'
		[ "$typ" = gpg-expired ] && d='--faked-system-time 20260101T000000!' exp=1d
		gpg -q --batch --pinentry-mode loopback --passphrase '' $d --quick-gen-key "$name <$email>" ed25519 sign $exp 2>/dev/null
		fpr=$(gpg --with-colons --list-keys "<$email>" | awk -F: '/^fpr/ {print $10; exit}')
		gpg --armor --export "$fpr" > "keys/$id.asc"
		file=$id.asc kt=openpgp key=$fpr fmt=openpgp ;;
	*) echo "lab: unknown key type $typ" >&2; exit 1 ;;
	esac
	awk -v e="  - {type: $kt, fingerprint: $fpr, file: $file}" '
		/^---$/ { n++; skip = 0 }
		n == 1 && /^keys:/ { print; print e; skip = 1; next }
		skip { next }
		{ print }' "$f" > "$f.new"
	mv "$f.new" "$f"
	ID=$(echo "$id" | tr a-z A-Z)
	echo "${ID}_FPR=$fpr"
	echo "${ID}_KEY=$key"
	echo "${ID}_FMT=$fmt"
	echo "${ID}_NAME=$name"
	echo "${ID}_EMAIL=$email"
done
`

// cmdLab runs labScript with the scenario's environment, and makes the
// trust root: Anna (akeller) signs the first commit and a second one that
// states it in qms.yaml (both dated GIT_COMMITTER_DATE if set). The
// scenario gets ID_FPR, ID_KEY, ID_NAME, ID_EMAIL per person and ROOT, and
// commits as Anna from then on (see as).
//
//	lab akeller:ssh lrossi:ssh tmeier:gpg
func cmdLab(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: lab ID:TYPE...")
	}
	// Commits are made now and verified now: the wall clock, not the
	// pinned one of the other scenarios (gpg signs with the wall clock).
	ts.Setenv("QMS_TEST_NOW", "")
	ts.Check(ts.Exec("sh", append([]string{"-c", labScript, "lab"}, args...)...))
	sc := bufio.NewScanner(strings.NewReader(ts.ReadFile("stdout")))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			ts.Setenv(k, v)
		}
	}
	cmdAs(ts, false, []string{"akeller"})
	ts.Check(ts.Exec("git", "add", "-A"))
	ts.Check(ts.Exec("git", "commit", "-q", "-m", "Start the QMS"))
	ts.Check(ts.Exec("git", "rev-parse", "HEAD"))
	root := strings.TrimSpace(ts.ReadFile("stdout"))
	ts.Setenv("ROOT", root)
	cfg := ts.ReadFile("qms.yaml") + "trust_root:\n  commit: " + root + "\n  fingerprint: " + ts.Getenv("AKELLER_FPR") + "\n"
	ts.Check(os.WriteFile(ts.MkAbs("qms.yaml"), []byte(cfg), 0o644))
	ts.Check(ts.Exec("git", "commit", "-q", "-am", "Trust root"))
}

// cmdAs makes the next commits (and qms approve) authored, committed and
// signed by a person of the lab, as their own git would.
//
//	as tmeier
func cmdAs(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: as ID")
	}
	id := strings.ToUpper(args[0])
	name, email, key := ts.Getenv(id+"_NAME"), ts.Getenv(id+"_EMAIL"), ts.Getenv(id+"_KEY")
	if key == "" {
		ts.Fatalf("as: %s has no key in this lab", args[0])
	}
	for _, kv := range [][2]string{{"GIT_AUTHOR_NAME", name}, {"GIT_AUTHOR_EMAIL", email}, {"GIT_COMMITTER_NAME", name}, {"GIT_COMMITTER_EMAIL", email}} {
		ts.Setenv(kv[0], kv[1])
	}
	ts.Check(ts.Exec("git", "config", "gpg.format", ts.Getenv(id+"_FMT")))
	ts.Check(ts.Exec("git", "config", "user.signingkey", key))
}

// forgeScript makes a forge's signing key (gpg or ssh) as ID, puts its
// public half in keys/forge-ID.asc (or .pub) and declares it under forges
// in qms.yaml with its dates. It prints the variables the scenario gets.
const forgeScript = `set -e
id=$1 name=$2 typ=$3 from=$4 until=$5
email=noreply@$(echo "$name" | tr A-Z a-z).example
mkdir -p "$WORK/id"
case $typ in
ssh)
	ssh-keygen -q -t ed25519 -N '' -C "$email" -f "$WORK/id/forge-$id"
	cp "$WORK/id/forge-$id.pub" "keys/forge-$id.pub"
	fpr=$(ssh-keygen -lf "$WORK/id/forge-$id.pub" | cut -d' ' -f2) file=forge-$id.pub key=$WORK/id/forge-$id.pub fmt=ssh ;;
gpg)
	fpr=$(gpg --batch --pinentry-mode loopback --passphrase '' --status-fd 1 --quick-gen-key "$name (web-flow commit signing, $id) <$email>" ed25519 sign 0 2>/dev/null |
		awk '/KEY_CREATED/ {print $4}')
	gpg --armor --export "$fpr" > "keys/forge-$id.asc"
	file=forge-$id.asc key=$fpr fmt=openpgp ;;
*) echo "forge: unknown key type $typ" >&2; exit 1 ;;
esac
grep -q '^forges:' qms.yaml || printf 'forges:\n' >> qms.yaml
entry="  - {name: $name, fingerprint: $fpr, file: $file, valid_from: $from"
[ -n "$until" ] && entry="$entry, valid_until: $until"
awk -v e="$entry}" '{ print } /^forges:/ { print e }' qms.yaml > qms.yaml.new
mv qms.yaml.new qms.yaml
ID=$(echo "$id" | tr a-z A-Z)
echo "${ID}_FPR=$fpr"
echo "${ID}_KEY=$key"
echo "${ID}_FMT=$fmt"
echo "${ID}_NAME=$name"
echo "${ID}_EMAIL=$email"
`

// cmdForge declares a forge's signing key in the lab (see forgeScript);
// 'as ID' then commits as the forge does: its name, its email, its key.
// Nothing is committed: a governor commits the declaration.
//
//	forge gh GitHub gpg 2024-01-16 [UNTIL]
func cmdForge(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 4 || len(args) > 5 {
		ts.Fatalf("usage: forge ID NAME gpg|ssh VALID_FROM [VALID_UNTIL]")
	}
	ts.Check(ts.Exec("sh", append([]string{"-c", forgeScript, "forge"}, args...)...))
	sc := bufio.NewScanner(strings.NewReader(ts.ReadFile("stdout")))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			ts.Setenv(k, v)
		}
	}
}
