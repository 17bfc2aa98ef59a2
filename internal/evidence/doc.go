// Package evidence is the evidence map: which records and checks evidence
// each clause of a framework (ISO 13485, ISO 22301, NHS DSPT, 21 CFR Part
// 11, or a company's own), read from schema/*.evidence.json, and where the
// repository leaves a gap.
package evidence
