package dir_test

import (
	"testing"

	"github.com/qms-tool/qms/internal/store"
	"github.com/qms-tool/qms/internal/store/dir"
	"github.com/qms-tool/qms/internal/testkit/storetest"
)

func TestSuite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := dir.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}, storetest.Options{Large: 3 << 20})
}
