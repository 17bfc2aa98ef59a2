//go:build unix

package clone

import (
	"os"
	"syscall"
)

// mapped is a pack file's bytes, mapped read-only where possible.
type mapped struct {
	data  []byte
	unmap bool
}

func readPack(p string) (*mapped, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() == 0 || st.Size() != int64(int(st.Size())) {
		b, err := os.ReadFile(p)
		return &mapped{data: b}, err
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		b, err := os.ReadFile(p)
		return &mapped{data: b}, err
	}
	return &mapped{data: b, unmap: true}, nil
}

func (m *mapped) close() {
	if m.unmap {
		_ = syscall.Munmap(m.data)
	}
	m.data = nil
}
