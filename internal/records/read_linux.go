package records

import (
	"errors"
	"io/fs"
	"syscall"

	"github.com/qms-tool/qms/internal/record"
)

// readFile reads a file with plain system calls. os.Open registers every
// file with the runtime's poller (four fcntl and an epoll_ctl per file),
// which for ten thousand small records costs more than reading them.
// Like ReadFile, it reads at most one byte past record.MaxSize.
func readFile(name string) ([]byte, error) {
	var fd int
	var err error
	for {
		fd, err = syscall.Open(name, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	size := st.Size
	if size < 0 || size > record.MaxSize {
		size = record.MaxSize
	}
	buf := make([]byte, 0, size+1)
	for int64(len(buf)) <= record.MaxSize {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := syscall.Read(fd, buf[len(buf):cap(buf)])
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: name, Err: err}
		}
		if n == 0 {
			break
		}
		buf = buf[:len(buf)+n]
	}
	if int64(len(buf)) > record.MaxSize+1 {
		buf = buf[:record.MaxSize+1]
	}
	return buf, nil
}
