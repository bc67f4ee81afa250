package domain

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// TestEveryRuleCodeAnswersTheSameWhoeverRaisesIt reads the source of the
// chaincode (this package and the adapter) and of the gateway for every
// rule code constant and every refusal built with Invalid, Forbidden,
// Conflict or NotFound. Every kind raised has its one answer (Answers:
// HTTP status and CLI exit code), and no code is raised by the gateway
// with a kind the chaincode does not give it, so a rule answers the
// same whichever side refuses. Within one side a rule may be broken in
// different ways (a malformed key ID is invalid, a missing key not
// found): those are logged. Article codes (GX-10.3, HB-21, …) come from
// the profile at run time (Profile.Cite), not from constants.
func TestEveryRuleCodeAnswersTheSameWhoeverRaisesIt(t *testing.T) {
	fset := token.NewFileSet()
	consts := map[string]string{} // constant name → rule code
	var files []*ast.File
	side := map[*ast.File]string{}
	for _, dir := range []string{".", "../contract", "../../gateway"} {
		paths, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, p := range paths {
			if strings.HasSuffix(p, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, p, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
			side[f] = "chaincode"
			if strings.Contains(dir, "gateway") {
				side[f] = "gateway"
			}
			for _, d := range f.Decls {
				gd, ok := d.(*ast.GenDecl)
				if !ok || gd.Tok != token.CONST {
					continue
				}
				for _, s := range gd.Specs {
					vs := s.(*ast.ValueSpec)
					for i, n := range vs.Names {
						if !strings.HasPrefix(n.Name, "Rule") || i >= len(vs.Values) {
							continue
						}
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							consts[n.Name], _ = strconv.Unquote(lit.Value)
						}
					}
				}
			}
		}
	}
	if len(consts) < 40 {
		t.Fatalf("found only %d rule code constants", len(consts))
	}
	kinds := map[string]Kind{"Invalid": KindInvalid, "Forbidden": KindForbidden, "Conflict": KindConflict, "NotFound": KindNotFound, "Partial": KindPartial}
	raised := map[string]map[Kind][]string{} // code → kind → where
	bySide := map[string]map[string]map[Kind]bool{"chaincode": {}, "gateway": {}}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			name := ""
			switch fn := call.Fun.(type) {
			case *ast.Ident:
				name = fn.Name
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			}
			kind, ok := kinds[name]
			if !ok {
				return true
			}
			var code string
			switch a := call.Args[0].(type) {
			case *ast.Ident:
				code = consts[a.Name]
			case *ast.SelectorExpr:
				code = consts[a.Sel.Name]
			case *ast.BasicLit:
				code, _ = strconv.Unquote(a.Value)
			}
			if code == "" {
				return true // a citation from the profile (p.Cite) or a computed code
			}
			if raised[code] == nil {
				raised[code] = map[Kind][]string{}
			}
			if bySide[side[f]][code] == nil {
				bySide[side[f]][code] = map[Kind]bool{}
			}
			bySide[side[f]][code][kind] = true
			pos := fset.Position(call.Pos())
			raised[code][kind] = append(raised[code][kind], filepath.Base(pos.Filename)+":"+strconv.Itoa(pos.Line))
			return true
		})
	}
	codes := make([]string, 0, len(raised))
	for c := range raised {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	multi := 0
	for _, c := range codes {
		for k := range raised[c] {
			if _, ok := Answers[k]; !ok {
				t.Errorf("rule %s: kind %s has no answer", c, k)
			}
		}
		if cc := bySide["chaincode"][c]; cc != nil {
			for k := range bySide["gateway"][c] {
				if !cc[k] {
					t.Errorf("rule %s: the gateway raises it as %s (HTTP %d), the chaincode as %v: %v", c, k, Answers[k].HTTP, cc, raised[c])
				}
			}
		}
		if len(raised[c]) > 1 {
			multi++
			t.Logf("rule %s is broken in %d ways: %v", c, len(raised[c]), raised[c])
		}
	}
	if len(bySide["gateway"]) == 0 || len(bySide["chaincode"]) < 40 {
		t.Fatalf("read %d gateway and %d chaincode codes: the source was not found", len(bySide["gateway"]), len(bySide["chaincode"]))
	}
	t.Logf("%d rule code constants; %d codes raised (%d of them in more than one kind)", len(consts), len(codes), multi)
}
