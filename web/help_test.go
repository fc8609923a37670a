package web

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jaga-health/jaga"
)

// deskStaff enrols a staff member of the world's ministry.
func (e *deskEnv) deskStaff(t *testing.T, email, name, role string) *jaga.StaffEnrolment {
	t.Helper()
	en, err := e.svc.Organisations.CreateStaff(jaga.SystemContext(context.Background()), jaga.NewStaff{OrgID: e.w.ministry.ID,
		Email: email, DisplayName: name, Role: role, Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	return en
}

// upload posts a multipart form with one file, as a browser would.
func (b *browser) upload(path, csrf string, file []byte) *response {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", csrf)
	fw, err := mw.CreateFormFile("file", "kad-vaksin.jpg")
	if err != nil {
		b.t.Fatal(err)
	}
	fw.Write(file)
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, b.env.http.URL+path, &body)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

var ticketPath = regexp.MustCompile(`^/help/tickets/([0-9a-f]+)$`)

// TestHelpPages walks the citizen's help pages and the agent console with
// forms only: a fix that does not help, a ticket opened from it with what
// was tried, an attachment, the agent's macro reply with presence shown,
// and the citizen reading the reply and the new status.
func TestHelpPages(t *testing.T) {
	e := newDeskEnv(t)
	e.clock.set(time.Now().UTC().Truncate(time.Second))
	citizen := e.browser()
	citizen.signInCitizen(e.w.contact, "+60123456789")
	agentEn := e.deskStaff(t, "nadia.pages@moh.test", "Nadia Pages", jaga.RoleSupportAgent)
	superEn := e.deskStaff(t, "wong.pages@moh.test", "Wong Pages", jaga.RoleSupervisor)
	agent, super := e.browser(), e.browser()
	agent.signInStaff(agentEn)
	super.signInStaff(superEn)
	agent.setLang("en")
	super.setLang("en")

	for _, lang := range jaga.Languages {
		t.Run("help in "+lang, func(t *testing.T) {
			citizen.setLang(lang)
			r := citizen.get("/help")
			r.expect(t, 200)
			r.contains(t, e.i18n(lang, "notice.title"), `href="/authorised-organisations"`, e.i18n(lang, "fix.refresh_record"),
				e.i18n(lang, "help.code_heading"))
			r.lacks(t, "<script", "style=")
			home := citizen.get("/")
			home.contains(t, e.i18n(lang, "notice.title"))
		})
	}
	citizen.setLang("en")

	var fixTicket string
	t.Run("a fix that does not help leads to a ticket that carries it", func(t *testing.T) {
		r := citizen.submit("/help", "/help/fixes", url.Values{"fix": {jaga.FixResendCert}, "type": {jaga.TicketDoseNotShown},
			"personId": {e.w.dependant.ID}})
		r.expect(t, 200)
		r.contains(t, e.i18n("en", "outcome.no_certificate"), "/help/tickets/new?person="+e.w.dependant.ID)
		r = citizen.get("/help/tickets/new?person=" + e.w.dependant.ID + "&type=" + jaga.TicketDoseNotShown)
		r.expect(t, 200)
		r.contains(t, e.i18n("en", "deskfield.notShownOn"), e.i18n("en", "deskchoice.door_screen"))
		// A form with a required answer missing is refused and opens nothing.
		bad := citizen.post("/help/tickets", url.Values{"csrf": {r.csrf(t)}, "type": {jaga.TicketDoseNotShown},
			"personId": {e.w.dependant.ID}, "form.doseNumber": {"2"}})
		bad.expect(t, 400)
		bad.contains(t, "This answer is required.")
		r = citizen.post("/help/tickets", url.Values{"csrf": {r.csrf(t)}, "type": {jaga.TicketDoseNotShown},
			"personId": {e.w.dependant.ID}, "form.doseNumber": {"2"}, "form.givenOn": {"2022-01-10"}, "form.notShownOn": {"certificate"}})
		r.expect(t, 200)
		m := ticketPath.FindStringSubmatch(r.url.Path)
		if m == nil {
			t.Fatalf("after opening: at %s", r.url)
		}
		fixTicket = m[1]
		r.contains(t, "JG-", "Received")
		th, err := e.desk.MyTicket(jaga.NewContextWithActor(context.Background(), e.owner), fixTicket)
		if err != nil || len(th.Ticket.Tried) != 1 || th.Ticket.Tried[0] != jaga.FixResendCert {
			t.Fatalf("ticket = %+v, %v; want it to carry the re-send", th, err)
		}
		list := citizen.get("/help/tickets")
		list.contains(t, th.Ticket.Reference, "Received")
	})

	var id, ref string
	t.Run("open an overseas certificate ticket and attach a photo", func(t *testing.T) {
		r := citizen.get("/help/tickets/new?type=" + jaga.TicketOverseasCertificate)
		r = citizen.post("/help/tickets", url.Values{"csrf": {r.csrf(t)}, "type": {jaga.TicketOverseasCertificate},
			"personId": {e.w.citizen.ID}, "form.issuingCountry": {"SG"}, "form.format": {"paper"},
			"description": {"My certificate from Singapore is on paper."}})
		r.expect(t, 200)
		m := ticketPath.FindStringSubmatch(r.url.Path)
		if m == nil {
			t.Fatalf("after opening: at %s", r.url)
		}
		id = m[1]
		ref = regexp.MustCompile(`JG-[0-9A-Z]{8}`).FindString(r.body)
		csrf := r.csrf(t)
		bad := citizen.upload("/help/tickets/"+id+"/attachments", csrf, append([]byte("MZ\x90\x00"), make([]byte, 64)...))
		bad.expect(t, 400)
		bad.contains(t, "Windows program")
		ok := citizen.upload("/help/tickets/"+id+"/attachments", csrf, pngFile(t))
		ok.expect(t, 200)
		ok.contains(t, "document-1.png")
	})

	t.Run("the agent answers with a macro while a colleague looks", func(t *testing.T) {
		q := agent.get("/desk")
		q.expect(t, 200)
		q.contains(t, ref)
		q.lacks(t, "Aisyah")
		super.get("/desk/tickets/"+id).expect(t, 200)
		v := agent.get("/desk/tickets/" + id + "?compose=1")
		v.expect(t, 200)
		v.contains(t, "Wong Pages is also viewing this ticket.", "Aisyah binti Rahman", "My certificate from Singapore is on paper.")
		sv := super.get("/desk/tickets/" + id)
		sv.contains(t, "Nadia Pages is replying to this ticket.")
		note := agent.post("/desk/tickets/"+id+"/posts", url.Values{"csrf": {v.csrf(t)}, "body": {"Checked the trust list: no key for SG paper."}, "internal": {"on"}})
		note.expect(t, 200)
		r := agent.post("/desk/tickets/"+id+"/posts", url.Values{"csrf": {v.csrf(t)}, "macro": {"overseas_received"}})
		r.expect(t, 200)
		r.contains(t, "internal note", "Kami telah menerima sijil luar negara anda")

		take := agent.post("/desk/tickets/"+id+"/assignee", url.Values{"csrf": {v.csrf(t)}, "staffId": {"me"}})
		take.expect(t, 200)
		take.contains(t, e.i18n("en", "desk.unassign"))
		ask := agent.post("/desk/tickets/"+id+"/transitions", url.Values{"csrf": {v.csrf(t)}, "state": {jaga.StateWaitingCitizen}})
		ask.expect(t, 400)
		ask.contains(t, "Tell the citizen why, in a message.")
		merge := agent.post("/desk/tickets/"+id+"/merge", url.Values{"csrf": {v.csrf(t)}, "into": {"JG-00000000"}})
		merge.expect(t, 400)
		merge.contains(t, "No such ticket in your queues.")
		back := agent.post("/desk/tickets/"+id+"/assignee", url.Values{"csrf": {v.csrf(t)}, "staffId": {""}})
		back.expect(t, 200)
		back.contains(t, e.i18n("en", "desk.take"))
	})

	t.Run("the citizen sees the reply and the new status, not the note", func(t *testing.T) {
		citizen.setLang("ms")
		r := citizen.get("/help/tickets/" + id)
		r.expect(t, 200)
		r.contains(t, "Kami telah menerima sijil luar negara anda", jaga.StateLabel(jaga.StateInReview, "ms", ""))
		r.lacks(t, "Checked the trust list")
	})

	t.Run("a contractor sees the person masked until a reason is given", func(t *testing.T) {
		ctx := jaga.SystemContext(context.Background())
		orgs, err := e.svc.Organisations.Organisations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var helpdesk string
		for _, o := range orgs {
			if o.Name == "Meja Bantuan Ujian Sdn Bhd" {
				helpdesk = o.ID
			}
		}
		en, err := e.svc.Organisations.CreateStaff(ctx, jaga.NewStaff{OrgID: helpdesk, Email: "faizal.pages@helpdesk.test",
			DisplayName: "Faizal Pages", Role: jaga.RoleSupportAgent, Password: testPassword})
		if err != nil {
			t.Fatal(err)
		}
		contractor := e.browser()
		contractor.signInStaff(en)
		contractor.setLang("en")
		th, err := e.desk.OpenTicket(jaga.NewContextWithActor(context.Background(), e.owner), jaga.NewTicket{Type: jaga.TicketDoseMissing,
			Form: map[string]string{"doseNumber": "3", "givenOn": "2022-01-15", "country": "MY"}})
		if err != nil {
			t.Fatal(err)
		}
		v := contractor.get("/desk/tickets/" + th.Ticket.ID)
		v.expect(t, 200)
		v.contains(t, "A. b. R.", e.i18n("en", "staff.masked_label"))
		v.lacks(t, "Aisyah binti Rahman", "900101-14-5678", "900101145678")
		short := contractor.post("/desk/tickets/"+th.Ticket.ID+"/unmask", url.Values{"csrf": {v.csrf(t)}, "reason": {"why"}})
		short.expect(t, 400)
		short.lacks(t, "Aisyah binti Rahman")
		full := contractor.post("/desk/tickets/"+th.Ticket.ID+"/unmask", url.Values{"csrf": {v.csrf(t)},
			"reason": {"Compare the booster with the centre's record."}})
		full.expect(t, 200)
		full.contains(t, "Aisyah binti Rahman")
		// The citizen's own tickets are not the contractor's pages.
		contractor.get("/help/tickets/"+th.Ticket.ID).expect(t, 403)
	})

	t.Run("reports as CSV for supervisors only", func(t *testing.T) {
		day := time.Now().In(jaga.Malaysia).Format(time.DateOnly)
		r := super.get("/api/v1/desk/reports.csv?from=" + day + "&to=" + day)
		r.expect(t, 200)
		if !strings.HasPrefix(r.body, "kind,key,name,tickets,") || !strings.Contains(r.body, "queue,ministry_tier2,") {
			t.Fatalf("csv:\n%s", r.body)
		}
		if strings.Contains(r.body, "Aisyah") {
			t.Fatal("the report names a person")
		}
		agent.get("/api/v1/desk/reports.csv?from="+day+"&to="+day).expect(t, 403)
		super.get("/api/v1/desk/reports?from="+day).expect(t, 400)
	})

	t.Run("the report page shows the CSV's figures", func(t *testing.T) {
		day := time.Now().In(jaga.Malaysia).Format(time.DateOnly)
		csv := super.get("/api/v1/desk/reports.csv?from=" + day + "&to=" + day + "&queue=" + jaga.QueueMinistryTier2)
		row := strings.Split(regexp.MustCompile(`(?m)^queue,ministry_tier2,.*$`).FindString(csv.body), ",")
		if len(row) < 4 {
			t.Fatalf("csv:\n%s", csv.body)
		}
		r := super.get("/desk/reports?from=" + day + "&to=" + day + "&queue=" + jaga.QueueMinistryTier2)
		r.expect(t, 200)
		r.contains(t, `id="report-queues"`, `id="report-agents"`, "Ministry of Health</th>", "<td>"+row[3]+"</td>",
			"/api/v1/desk/reports.csv?from="+day)
		r.lacks(t, "Aisyah", "<script")
		super.get("/desk").contains(t, `href="/desk/reports"`)
		agent.get("/desk/reports").expect(t, 403)
		bad := super.get("/desk/reports?from=" + day + "&to=yesterday")
		bad.expect(t, 400)
		bad.contains(t, "Give the last day as YYYY-MM-DD.")
	})

	t.Run("an overseas certificate checked here is carried into its ticket", func(t *testing.T) {
		e.desk.Verifier = oneResult{jaga.VerifyResult{Problem: jaga.VerifyUnknownKey, Step: "trust", Kind: "eu-dcc", Issuer: "SG",
			Reason: "No trusted key matches the signer's key id."}}
		defer func() { e.desk.Verifier = nil }()
		citizen.setLang("en")
		h := citizen.get("/help")
		h.contains(t, `name="payload"`)
		const payload = "HC1:6BFOXN%TSMAHN-HWWK2RL99TEZP3Z9M52N651WGRJPTWG"
		r := citizen.post("/help/fixes", url.Values{"csrf": {h.csrf(t)}, "fix": {jaga.FixVerifyOverseas},
			"type": {jaga.TicketOverseasCertificate}, "personId": {e.w.citizen.ID}, "payload": {payload}})
		r.expect(t, 200)
		r.contains(t, e.i18n("en", "outcome.not_verified"), "type="+jaga.TicketOverseasCertificate)
		r.lacks(t, payload)
		th, err := e.desk.OpenTicket(jaga.NewContextWithActor(context.Background(), e.owner), jaga.NewTicket{
			Type: jaga.TicketOverseasCertificate, Form: map[string]string{"issuingCountry": "SG", "format": "eu_dcc"}})
		if err != nil || len(th.Ticket.Tried) != 1 || th.Ticket.Tried[0] != jaga.FixVerifyOverseas {
			t.Fatalf("ticket = %+v, %v; want it to carry the check", th, err)
		}
		v := agent.get("/desk/tickets/" + th.Ticket.ID)
		v.contains(t, e.i18n("en", "fix.verify_overseas"), "not valid (unknown_key)")
		v.lacks(t, payload)
	})

	t.Run("the agent asks for a correction; a supervisor approves it", func(t *testing.T) {
		v := agent.get("/desk/tickets/" + id)
		v.contains(t, e.i18n("en", "deskchange.heading"), `id="desk-change-form"`)
		short := agent.post("/desk/tickets/"+id+"/changes", url.Values{"csrf": {v.csrf(t)}, "kind": {jaga.ChangeCorrection},
			"field": {jaga.CorrectFullName}, "newValue": {"Aisyah binti Rahmat"}, "reason": {"why"}})
		short.expect(t, 400)
		short.contains(t, "Say why, in at least 10 characters.")
		r := agent.post("/desk/tickets/"+id+"/changes", url.Values{"csrf": {v.csrf(t)}, "kind": {jaga.ChangeCorrection},
			"field": {jaga.CorrectFullName}, "newValue": {"Aisyah binti Rahmat"}, "reason": {"Her passport reads Rahmat."}})
		r.expect(t, 200)
		r.contains(t, e.i18n("en", "deskchange.status_pending"), "Her passport reads Rahmat.")
		agent.get("/desk").lacks(t, `href="/desk/changes"`)
		agent.get("/desk/changes").expect(t, 403)
		list := super.get("/desk/changes")
		list.expect(t, 200)
		list.contains(t, ref, "Her passport reads Rahmat.", "Nadia Pages")
		list.lacks(t, "Aisyah binti Rahman", "Rahmat</")
		done := super.post("/desk/changes/"+regexp.MustCompile(`/desk/changes/([0-9a-f]+)/decision`).FindStringSubmatch(list.body)[1]+"/decision",
			url.Values{"csrf": {list.csrf(t)}, "decision": {"approve"}})
		done.expect(t, 200)
		done.contains(t, e.i18n("en", "deskchange.empty"))
		c := citizen.get("/help/tickets/" + id)
		c.contains(t, "Pembetulan nama dalam rekod anda telah diluluskan oleh Kementerian Kesihatan.")
		c.lacks(t, "Her passport reads Rahmat.")
	})
}

// i18n returns a message of the server's catalogue.
func (e *deskEnv) i18n(lang, id string) string { return e.server.i18n.T(lang, id) }

// oneResult is a verifier that answers every certificate with res.
type oneResult struct{ res jaga.VerifyResult }

func (f oneResult) Verify(context.Context, string, time.Time) (*jaga.VerifyResult, error) {
	r := f.res
	return &r, nil
}
