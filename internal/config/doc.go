// Package config reads qms.yaml, the file that marks the root of a QMS
// repository and holds its settings.
package config
