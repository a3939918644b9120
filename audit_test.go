package jarvis

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// AuditActions holds every Audit* action constant, and the dashboard's
// filter lists exactly those: one list, shared by server and dashboard.
func TestAuditActionsIsTheOneList(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "audit.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var consts []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if !strings.HasPrefix(n.Name, "Audit") || i >= len(vs.Values) {
					continue
				}
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					v, _ := strconv.Unquote(lit.Value)
					consts = append(consts, v)
				}
			}
		}
	}
	if len(consts) < 10 {
		t.Fatalf("found only %d audit constants in audit.go", len(consts))
	}
	want := slices.Sorted(slices.Values(consts))
	if got := slices.Sorted(slices.Values(AuditActions)); !slices.Equal(got, want) {
		t.Errorf("AuditActions = %v\nthe Audit* constants are %v", got, want)
	}

	b, err := os.ReadFile("web/lib/auditActions.ts")
	if err != nil {
		t.Fatal(err)
	}
	_, list, _ := strings.Cut(string(b), "auditActions: readonly string[] = [")
	list, _, _ = strings.Cut(list, "];")
	var ts []string
	for _, m := range regexp.MustCompile(`'([a-z_.]+)'`).FindAllStringSubmatch(list, -1) {
		ts = append(ts, m[1])
	}
	if !slices.Equal(ts, AuditActions) {
		t.Errorf("web/lib/auditActions.ts lists %v\nit must list jarvis.AuditActions, in order:\n  %s", ts, "'"+strings.Join(AuditActions, "', '")+"'")
	}
}
