package assistant

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jarvis-hq/jarvis"
)

// Parameter types, as JSON Schema names them.
const (
	typeString  = "string"
	typeInteger = "integer"
	typeBoolean = "boolean"
	typeStrings = "array" // of strings
)

// param is one argument of a tool: what the model is told in the schema, and
// what validate holds the model's arguments to.
type param struct {
	name     string
	typ      string
	desc     string
	required bool
	// min and max bound an integer.
	min, max int
	// maxLen bounds a string's length in characters, or an array's items.
	maxLen int
	// check, when set, validates a string further (or each array item).
	check func(string) error
}

// schema renders params as a JSON Schema object that allows no other
// properties.
func schema(params []param) json.RawMessage {
	props := map[string]any{}
	required := []string{}
	for _, p := range params {
		s := map[string]any{"type": p.typ, "description": p.desc}
		switch p.typ {
		case typeInteger:
			s["minimum"], s["maximum"] = p.min, p.max
		case typeString:
			if p.maxLen > 0 {
				s["maxLength"] = p.maxLen
			}
		case typeStrings:
			s["items"] = map[string]any{"type": "string"}
			if p.maxLen > 0 {
				s["maxItems"] = p.maxLen
			}
		}
		props[p.name] = s
		if p.required {
			required = append(required, p.name)
		}
	}
	b, err := json.Marshal(map[string]any{"type": "object", "properties": props, "required": required, "additionalProperties": false})
	if err != nil {
		panic(err) // built from literals
	}
	return b
}

// args are a tool call's validated arguments.
type args map[string]any

func (a args) str(name string) string {
	s, _ := a[name].(string)
	return s
}

func (a args) integer(name string, def int) int {
	if n, ok := a[name].(int); ok {
		return n
	}
	return def
}

// has reports whether the model gave the argument.
func (a args) has(name string) bool {
	_, ok := a[name]
	return ok
}

func (a args) boolean(name string) bool {
	b, _ := a[name].(bool)
	return b
}

func (a args) strs(name string) []string {
	s, _ := a[name].([]string)
	if s == nil {
		return []string{}
	}
	return s
}

// argError is a tool call whose arguments do not fit the tool's schema. Its
// message names arguments, never their values.
type argError struct{ msg string }

func (e *argError) Error() string { return e.msg }

func argErrorf(format string, a ...any) error { return &argError{msg: fmt.Sprintf(format, a...)} }

// validate decodes raw, which must be a JSON object, and checks it against
// params: no unknown or missing arguments, each of its type and within its
// bounds. Integers come back as int, arrays as []string.
func validate(raw json.RawMessage, params []param) (args, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return nil, argErrorf("the arguments must be a JSON object")
	}
	known := map[string]param{}
	for _, p := range params {
		known[p.name] = p
	}
	var unknown []string
	for k := range obj {
		if _, ok := known[k]; !ok {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		for i, u := range unknown {
			unknown[i] = clip(u, 40)
		}
		return nil, argErrorf("unknown argument(s): %s", strings.Join(unknown, ", "))
	}
	out := args{}
	for _, p := range params {
		v, ok := obj[p.name]
		if !ok || v == nil {
			if p.required {
				return nil, argErrorf("%s is required", p.name)
			}
			continue
		}
		val, err := p.convert(v)
		if err != nil {
			return nil, err
		}
		out[p.name] = val
	}
	return out, nil
}

// convert checks one value against p.
func (p param) convert(v any) (any, error) {
	switch p.typ {
	case typeString:
		s, ok := v.(string)
		if !ok {
			return nil, argErrorf("%s must be a string", p.name)
		}
		return s, p.checkString(s)
	case typeInteger:
		n, ok := v.(json.Number)
		if !ok {
			return nil, argErrorf("%s must be an integer", p.name)
		}
		f, err := n.Float64()
		if err != nil || f != math.Trunc(f) {
			return nil, argErrorf("%s must be an integer", p.name)
		}
		if f < float64(p.min) || f > float64(p.max) {
			return nil, argErrorf("%s must be between %d and %d", p.name, p.min, p.max)
		}
		return int(f), nil
	case typeBoolean:
		b, ok := v.(bool)
		if !ok {
			return nil, argErrorf("%s must be true or false", p.name)
		}
		return b, nil
	case typeStrings:
		list, ok := v.([]any)
		if !ok {
			return nil, argErrorf("%s must be an array of strings", p.name)
		}
		if p.maxLen > 0 && len(list) > p.maxLen {
			return nil, argErrorf("%s may hold at most %d items", p.name, p.maxLen)
		}
		out := make([]string, 0, len(list))
		for _, e := range list {
			s, ok := e.(string)
			if !ok {
				return nil, argErrorf("%s must be an array of strings", p.name)
			}
			if p.check != nil {
				if err := p.check(s); err != nil {
					return nil, argErrorf("%s: %v", p.name, err)
				}
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, argErrorf("%s has an unsupported type", p.name)
}

func (p param) checkString(s string) error {
	if !utf8.ValidString(s) {
		return argErrorf("%s is not valid UTF-8", p.name)
	}
	if p.maxLen > 0 && utf8.RuneCountInString(s) > p.maxLen {
		return argErrorf("%s must be at most %d characters", p.name, p.maxLen)
	}
	if p.check != nil {
		if err := p.check(s); err != nil {
			return argErrorf("%s: %v", p.name, err)
		}
	}
	return nil
}

// checkGmailID accepts a Gmail thread or message id: hexadecimal digits.
func checkGmailID(s string) error {
	if !jarvis.IsGmailID(s) {
		return fmt.Errorf("not a Gmail id (hexadecimal digits, as search_threads returned it)")
	}
	return nil
}

// checkDate accepts a calendar day as YYYY-MM-DD.
func checkDate(s string) error {
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return fmt.Errorf("must be a date as YYYY-MM-DD")
	}
	return nil
}

// checkInstant accepts a time in RFC 3339 ("2026-12-06T09:00:00+01:00").
func checkInstant(s string) error {
	if _, err := time.Parse(time.RFC3339, s); err != nil {
		return fmt.Errorf("must be a time in RFC 3339, like 2026-12-06T09:00:00Z")
	}
	return nil
}

// checkClock accepts a time of day as HH:MM.
func checkClock(s string) error {
	if _, err := parseClock(s); err != nil {
		return err
	}
	return nil
}

// parseClock returns the minutes after midnight of "HH:MM" (00:00–24:00).
func parseClock(s string) (int, error) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, fmt.Errorf("must be a time of day as HH:MM")
	}
	if _, err := fmt.Sscanf(s, "%02d:%02d", &h, &m); err != nil || h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("must be a time of day as HH:MM")
	}
	return h*60 + m, nil
}

// clip shortens s to n characters, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
