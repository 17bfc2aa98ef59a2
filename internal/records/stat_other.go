//go:build !linux

package records

import "io/fs"

// statOf is only trusted on Linux, where the change time is known; other
// systems always hash the content.
func statOf(fs.FileInfo) (fileStat, bool) { return fileStat{}, false }

// FileIdentity is empty where change times are not known.
func FileIdentity(fs.FileInfo) string { return "" }

func (Dir) statRecord(string) (fileStat, bool) { return fileStat{}, false }
