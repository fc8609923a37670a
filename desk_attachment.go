package jaga

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"net/http"
	"time"
)

// Attachment rules.
const (
	// MaxAttachmentBytes bounds one uploaded file.
	MaxAttachmentBytes = 5 << 20
	// MaxAttachmentsPerTicket bounds the files of one ticket.
	MaxAttachmentsPerTicket = 5
	// MaxAttachmentPixels bounds an image's width times height, so that a
	// small file cannot decode into a huge picture.
	MaxAttachmentPixels = 40_000_000
	// AttachmentRetention is how long an attachment is kept after upload;
	// the purge job deletes it then, whatever the ticket's state.
	AttachmentRetention = 30 * 24 * time.Hour
)

// Attachment media types: the only kinds of file the desk accepts.
const (
	MediaJPEG = "image/jpeg"
	MediaPNG  = "image/png"
	MediaPDF  = "application/pdf"
)

// Attachment is a document a citizen attached to a ticket. Its content is
// kept encrypted and read through DeskService; its original file name is
// not kept, since names often carry an identity number.
type Attachment struct {
	ID        string    `json:"id"`
	TicketID  string    `json:"ticketId"`
	MediaType string    `json:"mediaType"`
	Size      int       `json:"size"` // bytes, after cleaning
	Name      string    `json:"name"` // a generated name such as document-1.pdf
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// magic numbers of files that are programs or archives: refused whatever
// they are called.
var executableMagic = []struct {
	prefix []byte
	what   string
}{
	{[]byte("MZ"), "a Windows program"},
	{[]byte("\x7fELF"), "a Linux program"},
	{[]byte{0xfe, 0xed, 0xfa, 0xce}, "a macOS program"},
	{[]byte{0xfe, 0xed, 0xfa, 0xcf}, "a macOS program"},
	{[]byte{0xce, 0xfa, 0xed, 0xfe}, "a macOS program"},
	{[]byte{0xcf, 0xfa, 0xed, 0xfe}, "a macOS program"},
	{[]byte{0xca, 0xfe, 0xba, 0xbe}, "a program"},
	{[]byte("#!"), "a script"},
	{[]byte("PK\x03\x04"), "an archive"},
	{[]byte("\x00asm"), "a program"},
}

// pdfActive are PDF names that run code, open other files or carry files.
var pdfActive = [][]byte{[]byte("/JavaScript"), []byte("/JS"), []byte("/Launch"), []byte("/EmbeddedFile"), []byte("/RichMedia"), []byte("/XFA")}

// CleanAttachment checks an uploaded file by its content, never by its
// name or declared type, and returns its media type and the bytes to keep:
// JPEG and PNG images are decoded and encoded again, which drops their
// metadata (EXIF, location, camera); a PDF is kept as sent, unless it holds
// scripts or embedded files. Anything else is refused with EINVALID on
// "file", or ETOOLARGE past MaxAttachmentBytes. Messages never quote the
// content.
func CleanAttachment(data []byte) (mediaType string, cleaned []byte, err error) {
	switch {
	case len(data) == 0:
		return "", nil, Invalid(map[string]string{"file": "The file is empty."})
	case len(data) > MaxAttachmentBytes:
		return "", nil, Errorf(ETOOLARGE, "A file may be at most %d MB.", MaxAttachmentBytes>>20)
	}
	for _, m := range executableMagic {
		if bytes.HasPrefix(data, m.prefix) {
			return "", nil, Invalid(map[string]string{"file": fmt.Sprintf("This file is %s, not a document. Attach a JPEG or PNG photo or a PDF.", m.what)})
		}
	}
	sniffed := http.DetectContentType(data)
	switch {
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}) && sniffed == MediaJPEG:
		return cleanImage(data, MediaJPEG)
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) && sniffed == MediaPNG:
		return cleanImage(data, MediaPNG)
	case bytes.HasPrefix(data, []byte("%PDF-")) && sniffed == MediaPDF:
		if !bytes.Contains(data[max(0, len(data)-1024):], []byte("%%EOF")) {
			return "", nil, Invalid(map[string]string{"file": "This PDF is incomplete; save it again and attach it."})
		}
		for _, name := range pdfActive {
			if bytes.Contains(data, name) {
				return "", nil, Invalid(map[string]string{"file": "This PDF holds scripts or other files; print it to a plain PDF or attach a photo."})
			}
		}
		return MediaPDF, data, nil
	}
	return "", nil, Invalid(map[string]string{"file": "Attach a JPEG or PNG photo or a PDF; this file is none of them."})
}

// cleanImage decodes an image of mediaType and encodes it again.
func cleanImage(data []byte, mediaType string) (string, []byte, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || "image/"+format != mediaType {
		return "", nil, Invalid(map[string]string{"file": "This image cannot be read; take the photo again and attach it."})
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > MaxAttachmentPixels {
		return "", nil, Invalid(map[string]string{"file": "This image is too large; attach a smaller photo."})
	}
	var img image.Image
	if mediaType == MediaJPEG {
		img, err = jpeg.Decode(bytes.NewReader(data))
	} else {
		img, err = png.Decode(bytes.NewReader(data))
	}
	if err != nil {
		return "", nil, Invalid(map[string]string{"file": "This image cannot be read; take the photo again and attach it."})
	}
	var b bytes.Buffer
	if mediaType == MediaJPEG {
		err = jpeg.Encode(&b, img, &jpeg.Options{Quality: 90})
	} else {
		err = png.Encode(&b, img)
	}
	if err != nil {
		return "", nil, fmt.Errorf("clean image: %w", err)
	}
	return mediaType, b.Bytes(), nil
}

// AttachmentName returns the generated file name of a ticket's n-th
// attachment of mediaType.
func AttachmentName(n int, mediaType string) string {
	ext := map[string]string{MediaJPEG: "jpg", MediaPNG: "png", MediaPDF: "pdf"}[mediaType]
	return fmt.Sprintf("document-%d.%s", n, ext)
}
