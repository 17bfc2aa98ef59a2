package clone

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/qms-tool/qms/internal/oid"
)

// Object types, numbered as in pack files.
const (
	objCommit   = 1
	objTree     = 2
	objBlob     = 3
	objTag      = 4
	objOfsDelta = 6
	objRefDelta = 7
)

var typeNames = [...]string{objCommit: "commit", objTree: "tree", objBlob: "blob", objTag: "tag"}

func typeName(t byte) string {
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	return "type " + strconv.Itoa(int(t))
}

func typeOf(name []byte) byte {
	for t, n := range typeNames {
		if n != "" && string(name) == n {
			return byte(t)
		}
	}
	return 0
}

// maxObject bounds the size an object header may announce (2 GiB), so
// that hostile bytes cannot make us allocate without limit.
const maxObject = math.MaxInt32

// inflater decompresses zlib streams of known size, reusing its state.
type inflater struct {
	r  io.ReadCloser
	br bytes.Reader
}

// inflate decompresses src, which must hold exactly size bytes once
// inflated and end with a valid zlib checksum.
func (z *inflater) inflate(src []byte, size int) ([]byte, error) {
	// zlib cannot inflate more than about 1032 times: a larger size is a
	// damaged header, and must not make us allocate it.
	if size < 0 || size > maxObject || size > 1100*len(src)+64 {
		return nil, fmt.Errorf("object size %d out of range for %d compressed bytes", size, len(src))
	}
	z.br.Reset(src)
	if z.r == nil {
		r, err := zlib.NewReader(&z.br)
		if err != nil {
			return nil, fmt.Errorf("zlib: %w", err)
		}
		z.r = r
	} else if err := z.r.(zlib.Resetter).Reset(&z.br, nil); err != nil {
		return nil, fmt.Errorf("zlib: %w", err)
	}
	out := make([]byte, size)
	if _, err := io.ReadFull(z.r, out); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("inflates to fewer than the %d bytes announced", size)
		}
		return nil, fmt.Errorf("zlib: %w", err)
	}
	// Read to the end so that the stream's checksum is verified.
	var one [1]byte
	n, err := z.r.Read(one[:])
	if n > 0 {
		return nil, fmt.Errorf("inflates to more than the %d bytes announced", size)
	}
	if err != io.EOF {
		if err == nil {
			err = errors.New("stream does not end")
		}
		return nil, fmt.Errorf("zlib: %w", err)
	}
	return out, nil
}

// applyDelta rebuilds an object from its base and a Git delta.
func applyDelta(base, delta []byte) ([]byte, error) {
	src, delta, ok := deltaSize(delta)
	if !ok || src != uint64(len(base)) {
		return nil, fmt.Errorf("delta expects a base of %d bytes, base has %d", src, len(base))
	}
	dst, delta, ok := deltaSize(delta)
	if !ok || dst > maxObject {
		return nil, errors.New("delta announces a bad result size")
	}
	out := make([]byte, 0, min(dst, uint64(len(base)+len(delta))))
	for len(delta) > 0 {
		op := delta[0]
		delta = delta[1:]
		switch {
		case op&0x80 != 0:
			var off, n uint64
			for i := uint(0); i < 4; i++ {
				if op&(1<<i) != 0 {
					if len(delta) == 0 {
						return nil, errors.New("delta copy instruction is cut short")
					}
					off |= uint64(delta[0]) << (8 * i)
					delta = delta[1:]
				}
			}
			for i := uint(0); i < 3; i++ {
				if op&(0x10<<i) != 0 {
					if len(delta) == 0 {
						return nil, errors.New("delta copy instruction is cut short")
					}
					n |= uint64(delta[0]) << (8 * i)
					delta = delta[1:]
				}
			}
			if n == 0 {
				n = 0x10000
			}
			if off+n > uint64(len(base)) || uint64(len(out))+n > dst {
				return nil, errors.New("delta copies beyond its base or result")
			}
			out = append(out, base[off:off+n]...)
		case op != 0:
			n := int(op)
			if n > len(delta) || uint64(len(out)+n) > dst {
				return nil, errors.New("delta insert instruction is cut short")
			}
			out = append(out, delta[:n]...)
			delta = delta[n:]
		default:
			return nil, errors.New("delta has a reserved instruction")
		}
	}
	if uint64(len(out)) != dst {
		return nil, fmt.Errorf("delta result has %d bytes, %d announced", len(out), dst)
	}
	return out, nil
}

func deltaSize(b []byte) (uint64, []byte, bool) {
	var n uint64
	for i := 0; i < len(b) && i < 10; i++ {
		n |= uint64(b[i]&0x7f) << (7 * uint(i))
		if b[i]&0x80 == 0 {
			return n, b[i+1:], true
		}
	}
	return 0, nil, false
}

// edges lists the ids an object refers to: a commit's tree then its
// parents, a tree's entries (not submodule commits), a tag's target.
// Blobs refer to nothing. dst is reused.
func edges(t byte, data []byte, dst []oid.ID) ([]oid.ID, error) {
	dst = dst[:0]
	switch t {
	case objCommit, objTag:
		for len(data) > 0 {
			line := data
			if i := bytes.IndexByte(data, '\n'); i >= 0 {
				line, data = data[:i], data[i+1:]
			} else {
				data = nil
			}
			if len(line) == 0 {
				break
			}
			k, v, ok := bytes.Cut(line, []byte{' '})
			if !ok {
				continue
			}
			key := string(k)
			if (t == objCommit && (key == "tree" || key == "parent")) || (t == objTag && key == "object") {
				id, err := oid.Parse(string(v))
				if err != nil {
					return nil, fmt.Errorf("%s header %q: %w", key, line, err)
				}
				if t == objCommit && key == "tree" && len(dst) > 0 {
					return nil, errors.New("commit has a tree header after a parent")
				}
				dst = append(dst, id)
			}
		}
		if t == objCommit && len(dst) == 0 {
			return nil, errors.New("commit has no tree")
		}
		if t == objTag && len(dst) == 0 {
			return nil, errors.New("tag has no object")
		}
	case objTree:
		for len(data) > 0 {
			sp := bytes.IndexByte(data, ' ')
			nul := bytes.IndexByte(data, 0)
			if sp <= 0 || nul < sp || len(data) < nul+21 {
				return nil, errors.New("tree entry is malformed")
			}
			mode := data[:sp]
			var id oid.ID
			copy(id[:], data[nul+1:nul+21])
			data = data[nul+21:]
			if string(mode) == "160000" { // a submodule's commit lives elsewhere
				continue
			}
			dst = append(dst, id)
		}
	}
	return dst, nil
}
