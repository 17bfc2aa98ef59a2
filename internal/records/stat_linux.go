package records

import (
	"fmt"
	"io/fs"
	"syscall"
)

// statOf extracts what identifies a file's content without reading it.
func statOf(fi fs.FileInfo) (fileStat, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || !fi.Mode().IsRegular() {
		return fileStat{}, false
	}
	return fileStat{
		size:  st.Size,
		mtime: st.Mtim.Nano(),
		ctime: st.Ctim.Nano(),
		ino:   st.Ino,
		dev:   uint64(st.Dev),
	}, true
}

// FileIdentity describes a file by metadata that changes whenever it is
// written or replaced (size, modification and change times, inode).
func FileIdentity(fi fs.FileInfo) string {
	st, ok := statOf(fi)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%d/%d/%d/%d/%d", st.size, st.mtime, st.ctime, st.ino, st.dev)
}

// statRecord is statFile's fast path for a directory on disk: lstat(2)
// into the stack, no FileInfo.
func (d Dir) statRecord(name string) (fileStat, bool) {
	full, err := d.join("lstat", name)
	if err != nil {
		return fileStat{}, false
	}
	var st syscall.Stat_t
	for {
		err = syscall.Lstat(full, &st)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return fileStat{}, false
	}
	return fileStat{size: st.Size, mtime: st.Mtim.Nano(), ctime: st.Ctim.Nano(), ino: st.Ino, dev: uint64(st.Dev)}, true
}
