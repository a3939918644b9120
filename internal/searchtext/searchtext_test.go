package searchtext

import (
	"slices"
	"testing"
)

func TestWords(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"  ,;- ", nil},
		{"Friday dinner", []string{"friday", "dinner"}},
		{`"Doe, John" <John.Doe@Example.org>`, []string{"doe", "john", "john", "doe", "example", "org"}},
		{"50% up_front", []string{"50", "up", "front"}},
		{"Café naïve ÉTÉ", []string{"café", "naïve", "été"}},
		{"x²+ABC123", []string{"x²", "abc123"}},
		{"来週の打ち合わせ", []string{"来", "週", "の", "打", "ち", "合", "わ", "せ"}},
		{"データ", []string{"デ", "ー", "タ"}},
		{"Москва, 2026", []string{"москва", "2026"}},
		{"re:re:", []string{"re", "re"}},
	} {
		if got := Words(c.in); !slices.Equal(got, c.want) {
			t.Errorf("Words(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestContains(t *testing.T) {
	text := Normalize("Friday: dinner plans — at 7, the café")
	for _, c := range []struct {
		phrase string
		want   bool
	}{
		{"dinner", true},
		{"DINNER", true},
		{"dinne", false},
		{"inner", false},
		{"friday dinner", true},
		{`"friday, dinner"`, true},
		{"dinner friday", false},
		{"plans at 7", true},
		{"at 7 the café", true},
		{"caf", false},
		{"", true},
		{"—", true}, // no words: every text holds it
	} {
		if got := Contains(text, Normalize(c.phrase)); got != c.want {
			t.Errorf("Contains(%q, %q) = %v", text, c.phrase, got)
		}
	}
	if Contains("", Normalize("a")) || !Contains("", "") {
		t.Error("the empty text")
	}
}
