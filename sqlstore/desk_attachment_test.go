package sqlstore_test

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"strings"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
)

// photoWithEXIF returns a JPEG photo carrying secret in its EXIF segment.
func photoWithEXIF(t *testing.T, secret string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 8, 8)), nil); err != nil {
		t.Fatal(err)
	}
	payload := append([]byte("Exif\x00\x00MM\x00\x2a"), secret...)
	seg := []byte{0xff, 0xe1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}
	return append(append(append([]byte{0xff, 0xd8}, seg...), payload...), b.Bytes()[2:]...)
}

func TestDeskAttachments(t *testing.T) {
	const secret = "GPS 3.1390N 101.6869E"
	const marker = "VACCINATION-CARD-TEXT-7731"
	pdf := []byte("%PDF-1.4\n1 0 obj << >> endobj\n(" + marker + ")\n%%EOF\n")
	forEachEngine(t, func(t *testing.T, e *env) {
		w := newDeskWorld(t, e, true)
		th, err := w.desk.OpenTicket(as(w.citizen), boosterMissing())
		wantCode(t, err, "")
		id := th.Ticket.ID

		t.Run("no key", func(t *testing.T) {
			_, err := w.desk.AddAttachment(as(w.citizen), id, photoWithEXIF(t, secret))
			wantCode(t, err, jaga.EUNAVAILABLE)
		})
		e.DB.AttachmentKey = []byte("a test key for desk attachments!") // 32 bytes

		var photo, doc *jaga.Attachment
		t.Run("upload", func(t *testing.T) {
			tests := []struct {
				name  string
				actor *jaga.Actor
				data  []byte
				code  string
			}{
				{"a photo", w.citizen, photoWithEXIF(t, secret), ""},
				{"a PDF", w.citizen, pdf, ""},
				{"a program", w.citizen, append([]byte("MZ\x90\x00"), make([]byte, 100)...), jaga.EINVALID},
				{"too large", w.citizen, append(pdf, make([]byte, jaga.MaxAttachmentBytes)...), jaga.ETOOLARGE},
				{"another citizen", func() *jaga.Actor { a, _ := e.citizen(t); return a }(), pdf, jaga.ENOTFOUND},
				{"an agent", w.contractAgt, pdf, jaga.EUNAUTHORIZED},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					a, err := w.desk.AddAttachment(as(tc.actor), id, tc.data)
					wantCode(t, err, tc.code)
					if tc.code != "" {
						return
					}
					switch a.MediaType {
					case jaga.MediaJPEG:
						photo = a
					case jaga.MediaPDF:
						doc = a
					}
				})
			}
		})
		if photo == nil || doc == nil {
			t.Fatal("uploads failed")
		}
		if n := e.count(t, `SELECT COUNT(*) FROM ticket_attachments`); n != 2 {
			t.Fatalf("%d attachments stored, want 2: nothing half-written", n)
		}

		t.Run("encrypted at rest", func(t *testing.T) {
			stored := e.tableText(t, "ticket_attachments")
			for _, s := range []string{marker, "PDF-1.4", "JFIF", secret} {
				if strings.Contains(stored, s) {
					t.Fatalf("the table holds %q in clear", s)
				}
			}
		})

		t.Run("the citizen reads them back, cleaned", func(t *testing.T) {
			a, data, err := w.desk.MyAttachment(as(w.citizen), id, photo.ID)
			wantCode(t, err, "")
			if a.MediaType != jaga.MediaJPEG || bytes.Contains(data, []byte(secret)) || bytes.Contains(data, []byte("Exif")) {
				t.Fatalf("photo %+v keeps its metadata", a)
			}
			_, data, err = w.desk.MyAttachment(as(w.citizen), id, doc.ID)
			wantCode(t, err, "")
			if !bytes.Equal(data, pdf) {
				t.Fatal("the PDF changed")
			}
			mine, _ := w.desk.MyTicket(as(w.citizen), id)
			if len(mine.Attachments) != 2 || mine.Attachments[0].Name != "document-1.jpg" {
				t.Fatalf("thread attachments = %+v", mine.Attachments)
			}
		})

		t.Run("agents see a document only unmasked", func(t *testing.T) {
			_, _, err := w.desk.AgentAttachment(as(w.contractAgt), id, doc.ID, jaga.AccessReason{})
			wantCode(t, err, jaga.EFORBIDDEN)
			_, data, err := w.desk.AgentAttachment(as(w.contractAgt), id, doc.ID, jaga.AccessReason{Reason: "check the date of the booster"})
			wantCode(t, err, "")
			if !bytes.Equal(data, pdf) {
				t.Fatal("the agent's copy differs")
			}
			_, _, err = w.desk.AgentAttachment(as(w.ministryAgent), id, doc.ID, jaga.AccessReason{})
			wantCode(t, err, jaga.ENOTFOUND) // not the ministry's queue
			accesses, _ := e.Log.AccessesToMe(as(w.citizen), 10)
			if len(accesses) < 2 || accesses[0].Action != jaga.ActionUnmask || accesses[0].ContractRef == "" ||
				!strings.Contains(strings.Join(accesses[0].Fields, ","), "attachment") {
				t.Fatalf("accesses = %+v", accesses[0])
			}
		})

		t.Run("types without attachments, closed tickets and the cap", func(t *testing.T) {
			risk, err := w.desk.OpenTicket(as(w.citizen), jaga.NewTicket{Type: jaga.TicketRiskDispute,
				Form: map[string]string{"statusShown": "casual_contact", "shownSince": "2026-03-01", "explanation": "I was at home."}})
			wantCode(t, err, "")
			_, err = w.desk.AddAttachment(as(w.citizen), risk.Ticket.ID, pdf)
			wantCode(t, err, jaga.ECONFLICT)
			for range jaga.MaxAttachmentsPerTicket - 2 {
				_, err := w.desk.AddAttachment(as(w.citizen), id, pdf)
				wantCode(t, err, "")
			}
			_, err = w.desk.AddAttachment(as(w.citizen), id, pdf)
			wantCode(t, err, jaga.ECONFLICT)
		})

		t.Run("purged after the retention", func(t *testing.T) {
			e.Clock.Advance(jaga.AttachmentRetention + time.Minute)
			_, _, err := w.desk.MyAttachment(as(w.citizen), id, doc.ID)
			wantCode(t, err, jaga.ENOTFOUND)
			if _, err := e.DB.PurgeExpired(context.Background()); err != nil {
				t.Fatal(err)
			}
			if n := e.count(t, `SELECT COUNT(*) FROM ticket_attachments`); n != 0 {
				t.Fatalf("%d attachments left after the purge", n)
			}
		})
	})
}
