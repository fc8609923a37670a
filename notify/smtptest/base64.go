package smtptest

import (
	"encoding/base64"
	"io"
	"strings"
)

// base64Reader decodes a base64 body that is broken into lines.
func base64Reader(s string) io.Reader {
	s = strings.NewReplacer("\r", "", "\n", "").Replace(s)
	return base64.NewDecoder(base64.StdEncoding, strings.NewReader(s))
}
