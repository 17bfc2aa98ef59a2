package check

import "github.com/qms-tool/qms/internal/records"

// The rules findings name ([rule] in text output, "rule" in JSON). A new
// rule gets its constant here, its check in File (one record) or in the
// rules across records (cross.go), and a scenario under
// cmd/qms/testdata/script.
const (
	// One record, against its kind.
	RuleIDFilename      = "id-filename"
	RuleIDFormat        = "id-format"
	RuleSchema          = "schema"
	RuleRequired        = "required"
	RuleUnknownField    = "unknown-field"
	RuleType            = "type"
	RuleEnum            = "enum"
	RuleConst           = "const"
	RuleEmpty           = "empty"
	RuleTooLong         = "too-long"
	RulePattern         = "pattern"
	RuleFormat          = "format"
	RuleSectionMissing  = "section-missing"
	RuleDateOrder       = "date-order"
	RuleInterval        = "interval"
	RuleDuplicate       = "duplicate"
	RuleExtension       = records.RuleExtension
	RuleSymlink         = records.RuleSymlink
	RuleUnknownKind     = records.RuleUnknownKind
	RuleDuplicateID     = "duplicate-id"
	RuleRefMissing      = "ref-missing"
	RuleRefKind         = "ref-kind"
	RulePrevious        = "previous"
	RuleNoPlan          = "no-plan"
	RuleServiceUnknown  = "service-unknown"
	RuleTestUndeclared  = "test-undeclared"
	RuleMatrixMissing   = "matrix-missing"
	RuleRoleUnknown     = "role-unknown"
	RuleKindUnknown     = "kind-unknown"
	RuleFileMissing     = "file-missing"
	RuleObjectivesClaim = "objectives-claim"
	// The continuity plan as data: services, risks, notices, downtime.
	RuleContactInactive  = "contact-inactive"
	RuleContactSame      = "contact-same"
	RuleRiskMatrix       = "risk-matrix"
	RuleRiskScale        = "risk-scale"
	RuleRiskLevel        = "risk-level"
	RuleCadenceDuplicate = "cadence-duplicate"
	RuleNoticeTime       = "notice-time"
	RuleNoticeMissing    = "notice-missing"
	RuleDowntimeOverlap  = "downtime-overlap"
	RuleObjectivesTwice  = "objectives-twice"
	// RuleSourceKind: a nonconformity's source_record is not of the kind
	// its source names.
	RuleSourceKind = "source-kind"
	// A resolved or closed record's body (body.go): a required section
	// empty or holding only the template's guidance; checklist items not
	// ticked (a warning: a step may not have applied).
	RuleSectionEmpty      = "section-empty"
	RuleChecklistUnticked = "checklist-unticked"
)

// Cross says which rules are rules across records: a finding of any other
// rule is about the one file it names, as check.File finds it.
var Cross = map[string]bool{
	RuleDuplicateID: true, RuleRefMissing: true, RuleRefKind: true, RulePrevious: true, RuleNoPlan: true,
	RuleServiceUnknown: true, RuleTestUndeclared: true, RuleMatrixMissing: true, RuleRoleUnknown: true,
	RuleKindUnknown: true, RuleFileMissing: true, RuleObjectivesClaim: true, RuleSourceKind: true,
	RuleContactInactive: true, RuleRiskScale: true, RuleRiskLevel: true, RuleNoticeMissing: true, RuleDowntimeOverlap: true,
}
