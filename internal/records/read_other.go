//go:build !linux

package records

import (
	"io"
	"os"

	"github.com/qms-tool/qms/internal/record"
)

// readFile reads at most one byte past record.MaxSize of a file.
func readFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, record.MaxSize+1))
}
