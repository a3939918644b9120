// Package searchtext is the one definition of a word that Gmail-style search
// uses, shared by the sandbox's matcher and the local index so that both
// answer a query alike.
//
// A word is a maximal run of letters and digits (of any script, as Unicode
// classes them), lower-cased; everything else separates words. Chinese and
// Japanese are written without spaces, so each Han, Hiragana and Katakana
// character is a word of its own: "打ち合わせ" is five words, and found as
// a phrase inside "来週の打ち合わせについて". A query's
// word or phrase matches a text that holds its words consecutively:
// "dinner" matches "Dinner, Friday?" but not "dinners"; "friday dinner"
// matches "Friday: dinner" but not "Friday's dinner" (whose words are
// friday, s, dinner); "john.doe@example.org" matches the words john doe
// example org in a row.
package searchtext

import (
	"strings"
	"unicode"
)

// isWordRune reports whether r belongs to a word.
func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }

// isSingle reports whether r is a word by itself.
func isSingle(r rune) bool {
	return r >= 0x2E80 && unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana)
}

// Words returns the words of s, lower-cased, in order.
func Words(s string) []string {
	var out []string
	start := -1
	flush := func(end int) {
		if start >= 0 {
			out = append(out, strings.ToLower(s[start:end]))
			start = -1
		}
	}
	for i, r := range s {
		if isSingle(r) {
			flush(i)
			out = append(out, string(r))
			continue
		}
		if isWordRune(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		flush(i)
	}
	flush(len(s))
	return out
}

// Normalize returns the words of s joined by single spaces, with a space at
// each end (" a b "), or "" when s has none. It is the form Contains reads,
// both for a text and for the phrase looked for in it.
func Normalize(s string) string {
	w := Words(s)
	if len(w) == 0 {
		return ""
	}
	return " " + strings.Join(w, " ") + " "
}

// Contains reports whether the normalized text holds the normalized phrase
// as consecutive words. A phrase with no words is in every text.
func Contains(text, phrase string) bool {
	return phrase == "" || strings.Contains(text, phrase)
}
