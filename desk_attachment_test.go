package jaga

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
)

// testImage returns a small picture.
func testImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 16, 12))
	for x := range 16 {
		for y := range 12 {
			img.Set(x, y, color.RGBA{uint8(x * 16), uint8(y * 20), 128, 255})
		}
	}
	return img
}

// jpegWithEXIF returns a JPEG whose APP1 segment holds EXIF data with secret
// in it, as a phone's camera writes.
func jpegWithEXIF(t testing.TB, secret string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, testImage(), nil); err != nil {
		t.Fatal(err)
	}
	payload := append([]byte("Exif\x00\x00MM\x00\x2a"), secret...)
	seg := []byte{0xff, 0xe1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}
	return append(append(append([]byte{0xff, 0xd8}, seg...), payload...), b.Bytes()[2:]...)
}

// pngWithText returns a PNG with a text chunk holding secret.
func pngWithText(t testing.TB, secret string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, testImage()); err != nil {
		t.Fatal(err)
	}
	data := b.Bytes()
	// A tEXt chunk after IHDR (8-byte signature, 25-byte IHDR chunk).
	text := append([]byte("tEXtComment\x00"), secret...)
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(text)-4))
	chunk = append(chunk, text...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(text))
	return append(append(append([]byte{}, data[:33]...), chunk...), data[33:]...)
}

// minimalPDF returns a minimal PDF holding body.
func minimalPDF(body string) []byte {
	return []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n" + body + "\ntrailer << /Root 1 0 R >>\n%%EOF\n")
}

func TestCleanAttachment(t *testing.T) {
	const secret = "GPS 3.1390N 101.6869E Aisyah's phone"
	tests := []struct {
		name      string
		data      []byte
		mediaType string // "" when refused
		code      string
		problem   string // part of the message
	}{
		{"a JPEG loses its EXIF", jpegWithEXIF(t, secret), MediaJPEG, "", ""},
		{"a PNG loses its text", pngWithText(t, secret), MediaPNG, "", ""},
		{"a PDF is kept", minimalPDF("(vaccination card)"), MediaPDF, "", ""},
		{"empty", nil, "", EINVALID, "empty"},
		{"oversized", append(minimalPDF(""), make([]byte, MaxAttachmentBytes)...), "", ETOOLARGE, "at most 5 MB"},
		{"a Windows program", append([]byte("MZ\x90\x00"), make([]byte, 200)...), "", EINVALID, "a Windows program"},
		{"a Linux program", append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 200)...), "", EINVALID, "a Linux program"},
		{"a script", []byte("#!/bin/sh\nrm -rf /\n"), "", EINVALID, "a script"},
		{"an archive", []byte("PK\x03\x04 rest of a zip"), "", EINVALID, "an archive"},
		{"HTML", []byte("<html><script>alert(1)</script></html>"), "", EINVALID, "none of them"},
		{"a GIF", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), "", EINVALID, "none of them"},
		{"a truncated JPEG", jpegWithEXIF(t, "")[:200], "", EINVALID, "cannot be read"},
		{"a JPEG header on garbage", append([]byte{0xff, 0xd8, 0xff, 0xe0}, bytes.Repeat([]byte{7}, 300)...), "", EINVALID, "cannot be read"},
		{"a PDF with JavaScript", minimalPDF("<< /S /JavaScript /JS (app.alert(1)) >>"), "", EINVALID, "scripts"},
		{"a PDF that launches a program", minimalPDF("<< /S /Launch /F (cmd.exe) >>"), "", EINVALID, "scripts"},
		{"a truncated PDF", minimalPDF("")[:20], "", EINVALID, "incomplete"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mt, out, err := CleanAttachment(tc.data)
			if tc.mediaType == "" {
				if ErrorCode(err) != tc.code {
					t.Fatalf("err = %v, want %s", err, tc.code)
				}
				var text string
				if e, ok := err.(*Error); ok {
					text = e.Message
					for _, p := range e.Fields {
						text += " " + p
					}
				}
				if !strings.Contains(text, tc.problem) {
					t.Fatalf("message %q lacks %q", text, tc.problem)
				}
				return
			}
			if err != nil || mt != tc.mediaType {
				t.Fatalf("CleanAttachment = %q, %v; want %s", mt, err, tc.mediaType)
			}
			if bytes.Contains(out, []byte(secret)) || bytes.Contains(out, []byte("Exif")) {
				t.Fatal("the cleaned file keeps its metadata")
			}
			if again, _, err := CleanAttachment(out); err != nil || again != mt {
				t.Fatalf("the cleaned file does not clean again: %v", err)
			}
		})
	}
}

func FuzzCleanAttachment(f *testing.F) {
	f.Add(jpegWithEXIF(f, "x"))
	f.Add(pngWithText(f, "x"))
	f.Add(minimalPDF(""))
	f.Add([]byte("MZ"))
	f.Fuzz(func(t *testing.T, data []byte) {
		mt, out, err := CleanAttachment(data)
		if err != nil {
			if c := ErrorCode(err); c != EINVALID && c != ETOOLARGE && c != EINTERNAL {
				t.Fatalf("code %s", c)
			}
			return
		}
		if mt != MediaJPEG && mt != MediaPNG && mt != MediaPDF {
			t.Fatalf("media type %q", mt)
		}
		if len(out) == 0 {
			t.Fatal("empty output")
		}
	})
}
