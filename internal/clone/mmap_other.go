//go:build !unix

package clone

import "os"

type mapped struct{ data []byte }

func readPack(p string) (*mapped, error) {
	b, err := os.ReadFile(p)
	return &mapped{data: b}, err
}

func (m *mapped) close() { m.data = nil }
