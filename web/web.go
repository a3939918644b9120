// Package web serves the dashboard: the Next.js static export in out/,
// embedded in the binary. `npm --prefix web run export` rebuilds out/, and
// the export is committed so that a plain `go build ./cmd/jarvis` carries it.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
)

//go:embed all:out
var dist embed.FS

// Dist returns the embedded export, rooted at its top folder.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "out")
	if err != nil {
		panic(err)
	}
	return sub
}

var (
	once     sync.Once
	embedded *Server
)

// Handler returns the handler of the embedded dashboard. It answers GET and
// HEAD for the dashboard's pages and assets and serves the 404 page for
// unknown page paths. Mount it as the fallback route ("/") beside the API.
// It panics if the embedded export is malformed, which the package's tests
// rule out for the committed export.
func Handler() http.Handler {
	once.Do(func() {
		s, err := New(Dist())
		if err != nil {
			panic(fmt.Sprintf("web: embedded dashboard: %v", err))
		}
		embedded = s
	})
	return embedded
}

// Server serves one exported dashboard from memory.
type Server struct {
	assets   map[string]*asset
	notFound *asset
}

type asset struct {
	name  string
	body  []byte
	gzip  []byte // nil when compression does not pay
	etag  string
	ctype string
	csp   string // HTML only
	cache string
}

// cspManifest is out/_csp.json, written by scripts/postbuild.mjs: the
// sha256 sources of each page's inline scripts and styles.
type cspManifest struct {
	Version int `json:"version"`
	Pages   map[string]struct {
		Script []string `json:"script"`
		Style  []string `json:"style"`
	} `json:"pages"`
}

const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
	// The feature policy of a page that needs none of these features.
	permissionsPolicy = "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()"
)

// CSP returns the Content-Security-Policy of a page whose inline scripts and
// styles have the given CSP hash sources ("sha256-…").
func CSP(scriptHashes, styleHashes []string) string {
	quote := func(xs []string) string {
		var b strings.Builder
		for _, x := range xs {
			b.WriteString(" '")
			b.WriteString(x)
			b.WriteString("'")
		}
		return b.String()
	}
	return strings.Join([]string{
		"default-src 'self'",
		"script-src 'self'" + quote(scriptHashes),
		"style-src 'self'" + quote(styleHashes),
		"img-src 'self' data: blob:",
		"font-src 'self'",
		"connect-src 'self'",
		"media-src 'self'",
		"frame-src 'self'",
		"worker-src 'self'",
		"manifest-src 'self'",
		"frame-ancestors 'none'",
		"object-src 'none'",
		"base-uri 'none'",
		"form-action 'self'",
	}, "; ")
}

// New loads an export (the contents of out/) into memory. It fails when the
// export lacks index.html, 404.html or the CSP manifest, or when the manifest
// does not cover every page.
func New(fsys fs.FS) (*Server, error) {
	raw, err := fs.ReadFile(fsys, "_csp.json")
	if err != nil {
		return nil, fmt.Errorf("read CSP manifest: %w", err)
	}
	var manifest cspManifest
	if err := json.Unmarshal(raw, &manifest); err != nil {
		return nil, fmt.Errorf("parse CSP manifest: %w", err)
	}
	s := &Server{assets: map[string]*asset{}}
	err = fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if hidden(name) {
			return nil
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		a := &asset{name: name, body: body, ctype: contentType(name), cache: cacheRevalidate}
		sum := sha256.Sum256(body)
		a.etag = `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
		if strings.HasPrefix(name, "_next/static/") {
			a.cache = cacheImmutable
		}
		if strings.HasSuffix(name, ".html") {
			page, ok := manifest.Pages[name]
			if !ok {
				return fmt.Errorf("CSP manifest lacks %s: rebuild the export", name)
			}
			a.csp = CSP(page.Script, page.Style)
		}
		if compressible(a.ctype) && len(body) > 512 {
			a.gzip = gzipBytes(body)
			if len(a.gzip) >= len(body)*9/10 {
				a.gzip = nil
			}
		}
		s.assets[name] = a
		return nil
	})
	if err != nil {
		return nil, err
	}
	if s.assets["index.html"] == nil {
		return nil, fmt.Errorf("export lacks index.html")
	}
	if s.notFound = s.assets["404.html"]; s.notFound == nil {
		return nil, fmt.Errorf("export lacks 404.html")
	}
	return s, nil
}

// buildFiles are written beside the export by the build and are not part of the site.
var buildFiles = map[string]bool{"_csp.json": true, "_source_hash": true}

// hidden reports the build's own files (_csp.json, _source_hash).
func hidden(name string) bool { return buildFiles[name] }

func contentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".txt":
		// The RSC payloads that client-side navigation fetches.
		return "text/plain; charset=utf-8"
	case ".json", ".map":
		return "application/json"
	case ".svg":
		return "image/svg+xml"
	case ".ico":
		return "image/x-icon"
	case ".woff2":
		return "font/woff2"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

func compressible(ctype string) bool {
	return strings.HasPrefix(ctype, "text/") || strings.HasPrefix(ctype, "application/json") || strings.HasPrefix(ctype, "image/svg")
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// lookup maps a URL path to an asset: the file itself, then "<path>.html",
// then "<path>/index.html". Pages take query parameters, never path segments.
func (s *Server) lookup(urlPath string) *asset {
	name := strings.TrimPrefix(path.Clean("/"+urlPath), "/")
	if name == "" {
		name = "index"
	}
	if hidden(name) {
		return nil
	}
	for _, n := range []string{name, name + ".html", name + "/index.html"} {
		if a := s.assets[n]; a != nil {
			return a
		}
	}
	return nil
}

// looksLikePage reports whether an unknown path is a page (no file
// extension), which gets the dashboard's own 404 page rather than a bare 404.
func looksLikePage(urlPath string) bool {
	ext := path.Ext(urlPath)
	return ext == "" || ext == ".html"
}

func setSecurityHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", permissionsPolicy)
	h.Set("X-Frame-Options", "DENY")
}

// ServeHTTP serves the export. See Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	setSecurityHeaders(h)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	status := http.StatusOK
	a := s.lookup(r.URL.Path)
	if a == nil {
		if !looksLikePage(r.URL.Path) {
			h.Set("Cache-Control", cacheRevalidate)
			http.Error(w, "404 page not found", http.StatusNotFound)
			return
		}
		a, status = s.notFound, http.StatusNotFound
	}
	if a.csp != "" {
		h.Set("Content-Security-Policy", a.csp)
	}
	h.Set("Content-Type", a.ctype)
	h.Set("Cache-Control", a.cache)
	if a.gzip != nil {
		h.Add("Vary", "Accept-Encoding")
	}
	if status == http.StatusOK {
		h.Set("ETag", a.etag)
		if etagMatch(r.Header.Get("If-None-Match"), a.etag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	body := a.body
	if a.gzip != nil && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		body = a.gzip
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// etagMatch implements the weak comparison of If-None-Match.
func etagMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.ToLower(params), " ", "")
		if strings.HasPrefix(q, "q=0") && !strings.HasPrefix(q, "q=0.") || q == "q=0.0" || q == "q=0.00" || q == "q=0.000" {
			return false
		}
		return true
	}
	return false
}
