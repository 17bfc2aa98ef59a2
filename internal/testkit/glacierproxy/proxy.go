package glacierproxy

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Proxy forwards to one S3 server.
type Proxy struct {
	rp *httputil.ReverseProxy
	// Now is the clock for restore expiry.
	Now func() time.Time

	mu       sync.Mutex
	class    map[string]string    // bucket/key → storage class
	pending  map[string]string    // bucket/key → class of a multipart upload under way
	restored map[string]time.Time // bucket/key → expiry of the restored copy
}

// New returns a proxy to target (http://host:port).
func New(target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	p := &Proxy{Now: time.Now, class: map[string]string{}, pending: map[string]string{}, restored: map[string]time.Time{}}
	p.rp = httputil.NewSingleHostReverseProxy(u) // keeps the Host header the client signed
	p.rp.ModifyResponse = p.modify
	p.rp.FlushInterval = -1
	return p, nil
}

// objectKey is "bucket/key" for a request on an object itself (no
// sub-resource such as ?retention or ?tagging), else "".
func objectKey(r *http.Request, allowed ...string) string {
	path := strings.TrimPrefix(r.URL.Path, "/")
	if !strings.Contains(path, "/") || strings.HasSuffix(path, "/") {
		return ""
	}
	for q := range r.URL.Query() {
		ok := q == "x-id"
		for _, a := range allowed {
			ok = ok || q == a
		}
		if !ok {
			return ""
		}
	}
	return path
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodPost && q.Has("restore"):
		p.restore(w, r)
		return
	case r.Method == http.MethodGet:
		if k := objectKey(r, "partNumber", "versionId"); k != "" && !p.readable(k) {
			writeError(w, http.StatusForbidden, "InvalidObjectState", "The operation is not valid for the object's storage class")
			return
		}
	}
	p.rp.ServeHTTP(w, r)
}

func cold(class string) bool { return class == "GLACIER" || class == "DEEP_ARCHIVE" }

func (p *Proxy) readable(k string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !cold(p.class[k]) {
		return true
	}
	exp, ok := p.restored[k]
	return ok && p.Now().Before(exp)
}

func (p *Proxy) restore(w http.ResponseWriter, r *http.Request) {
	k := objectKey(r, "restore", "versionId")
	var req struct {
		Days int `xml:"Days"`
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err := xml.Unmarshal(body, &req); err != nil || req.Days < 1 {
		writeError(w, http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed")
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	class, known := p.class[k]
	switch {
	case k == "" || !known:
		writeError(w, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
	case !cold(class):
		writeError(w, http.StatusForbidden, "InvalidObjectState", "Restore is not allowed for the object's current storage class")
	default:
		_, again := p.restored[k]
		p.restored[k] = p.Now().Add(time.Duration(req.Days) * 24 * time.Hour).UTC().Truncate(24 * time.Hour)
		if again {
			w.WriteHeader(http.StatusOK)
		} else {
			w.WriteHeader(http.StatusAccepted)
		}
	}
}

// modify records storage classes of successful uploads and adds the
// headers the server does not keep.
func (p *Proxy) modify(resp *http.Response) error {
	r := resp.Request
	ok := resp.StatusCode/100 == 2
	q := r.URL.Query()
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case r.Method == http.MethodPut && ok && r.Header.Get("X-Amz-Copy-Source") == "":
		if k := objectKey(r); k != "" {
			p.class[k] = classOf(r)
			delete(p.restored, k)
		}
	case r.Method == http.MethodPost && ok && q.Has("uploads"):
		if k := objectKey(r, "uploads"); k != "" {
			p.pending[k] = classOf(r)
		}
	case r.Method == http.MethodPost && ok && q.Has("uploadId"):
		if k := objectKey(r, "uploadId"); k != "" {
			p.class[k] = p.pending[k]
			delete(p.restored, k)
		}
	case r.Method == http.MethodGet && ok && q.Get("list-type") == "2" && !strings.Contains(strings.Trim(r.URL.Path, "/"), "/"):
		return p.listClasses(resp, strings.Trim(r.URL.Path, "/"))
	case (r.Method == http.MethodHead || r.Method == http.MethodGet) && ok:
		k := objectKey(r, "partNumber", "versionId")
		class, known := p.class[k]
		if k == "" || !known {
			break
		}
		if class != "STANDARD" {
			resp.Header.Set("X-Amz-Storage-Class", class)
		}
		if exp, ok := p.restored[k]; ok && cold(class) && p.Now().Before(exp) {
			resp.Header.Set("X-Amz-Restore", fmt.Sprintf(`ongoing-request="false", expiry-date="%s"`, exp.Format(http.TimeFormat)))
		}
	}
	return nil
}

var listEntry = regexp.MustCompile(`(?s)<Contents>.*?</Contents>`)
var listKey = regexp.MustCompile(`<Key>([^<]*)</Key>`)
var listClass = regexp.MustCompile(`<StorageClass>[^<]*</StorageClass>`)

// listClasses puts the kept storage classes into a ListObjectsV2 answer.
// Called with p.mu held.
func (p *Proxy) listClasses(resp *http.Response, bucket string) error {
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	body = listEntry.ReplaceAllFunc(body, func(entry []byte) []byte {
		m := listKey.FindSubmatch(entry)
		if m == nil {
			return entry
		}
		var key string
		if err := xml.Unmarshal([]byte("<k>"+string(m[1])+"</k>"), &key); err != nil {
			return entry
		}
		class, ok := p.class[bucket+"/"+key]
		if !ok {
			return entry
		}
		return listClass.ReplaceAll(entry, []byte("<StorageClass>"+class+"</StorageClass>"))
	})
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return nil
}

func classOf(r *http.Request) string {
	if c := r.Header.Get("X-Amz-Storage-Class"); c != "" {
		return c
	}
	return "STANDARD"
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>%s</Message></Error>", code, msg)
}
