package mailbox

import (
	"bytes"
	"encoding/base64"
	"hash/fnv"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
)

// Verdict is what the sandbox's Gmail finds when it checks the sender of a
// message it receives.
type Verdict uint8

const (
	// VerdictPass: the sending server may send for the From domain, the
	// message carries that domain's DKIM signature, DMARC passes.
	VerdictPass Verdict = iota
	// VerdictSpoofed: the From names a domain whose servers did not send
	// the message (SPF softfail, no DKIM signature) and DMARC fails; the
	// domain's policy is p=none, so Gmail still delivers it to the inbox.
	VerdictSpoofed
)

// AuthenticationResults is the Authentication-Results field, CRLF
// included, that Gmail puts on top of a message it receives from the
// address from (an address or a From header's value), folded as Gmail folds
// it. The sandbox's invented server addresses are from the documentation
// ranges (RFC 5737).
func AuthenticationResults(from string, v Verdict) string {
	return "Authentication-Results: " + authResultsValue(from, v) + "\r\n"
}

// authResultsValue is AuthenticationResults' value, folded.
func authResultsValue(from string, v Verdict) string {
	addr := senderAddress(from)
	if addr == "" {
		return "mx.google.com; none"
	}
	_, domain, _ := strings.Cut(addr, "@")
	h := fnv.New64a()
	h.Write([]byte(addr))
	sum := h.Sum64()
	const fold = ";\r\n       "
	var b strings.Builder
	b.WriteString("mx.google.com")
	if v == VerdictSpoofed {
		b.WriteString(fold + "spf=softfail (google.com: domain of transitioning " + addr + " does not designate 203.0.113." +
			strconv.FormatUint(sum%254+1, 10) + " as permitted sender) smtp.mailfrom=" + addr)
		b.WriteString(fold + "dmarc=fail (p=NONE sp=NONE dis=NONE) header.from=" + domain)
		return b.String()
	}
	sig := base64.RawStdEncoding.EncodeToString([]byte{byte(sum), byte(sum >> 8), byte(sum >> 16), byte(sum >> 24), byte(sum >> 32), byte(sum >> 40)})
	b.WriteString(fold + "dkim=pass header.i=@" + domain + " header.s=sandbox header.b=" + sig)
	b.WriteString(fold + "spf=pass (google.com: domain of " + addr + " designates 192.0.2." + strconv.FormatUint(sum%254+1, 10) +
		" as permitted sender) smtp.mailfrom=" + addr)
	b.WriteString(fold + "dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=" + domain)
	return b.String()
}

// Received returns raw as Gmail files a message it receives: with its own
// Authentication-Results on top, whatever the message already carries
// below it.
func Received(raw []byte, v Verdict) []byte {
	from := ParseEntity(headerBlock(raw)).Headers.Get("From")
	return append([]byte(AuthenticationResults(from, v)), raw...)
}

// headerBlock is raw's header block with the blank line ending it.
func headerBlock(raw []byte) []byte {
	end := len(raw)
	if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 {
		end = i + 4
	}
	if i := bytes.Index(raw, []byte("\n\n")); i >= 0 && i+2 < end {
		end = i + 2
	}
	return raw[:end]
}

var looseAddress = regexp.MustCompile(`[^\s<>"(),;:]+@[^\s<>"(),;:]+`)

// senderAddress is the lowercase address of a From value, or "".
func senderAddress(from string) string {
	if a, err := mail.ParseAddress(from); err == nil {
		return strings.ToLower(a.Address)
	}
	return strings.ToLower(looseAddress.FindString(from))
}
