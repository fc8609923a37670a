package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"github.com/jaga-health/jaga"
)

// The message files, one per language in jaga.Languages, named <lang>.json.
// Each holds the same message ids; TestMessageParity fails otherwise.
//
//go:embed i18n/*.json
var messageFS embed.FS

// translator turns message ids into text in Malay or English. The pages
// use it for every string a person reads.
type translator struct {
	bundle     *i18n.Bundle
	localizers map[string]*i18n.Localizer
	ids        map[string]map[string]bool // language → message ids
	matcher    language.Matcher
	location   *time.Location

	mu      sync.Mutex
	missing map[string]bool // "lang:id" asked for but not found

	// plain keeps messages asked for without template data: they never
	// change, and localizing one (plural rules, a template) cost 2 % of
	// the server's CPU in a check-in run, for the door screen's labels.
	plainMu sync.RWMutex
	plain   map[[2]string]string // {lang, id} → message
}

func newTranslator() (*translator, error) {
	tags := make([]language.Tag, len(jaga.Languages))
	for i, l := range jaga.Languages {
		tags[i] = language.Make(l)
	}
	t := &translator{
		bundle:     i18n.NewBundle(tags[0]),
		localizers: map[string]*i18n.Localizer{},
		ids:        map[string]map[string]bool{},
		matcher:    language.NewMatcher(tags),
		location:   malaysiaTime(),
		missing:    map[string]bool{},
	}
	for _, l := range jaga.Languages {
		name := "i18n/" + l + ".json"
		buf, err := fs.ReadFile(messageFS, name)
		if err != nil {
			return nil, fmt.Errorf("i18n: %w", err)
		}
		mf, err := t.bundle.ParseMessageFileBytes(buf, name)
		if err != nil {
			return nil, fmt.Errorf("i18n %s: %w", name, err)
		}
		t.ids[l] = map[string]bool{}
		for _, m := range mf.Messages {
			t.ids[l][m.ID] = true
		}
		t.localizers[l] = i18n.NewLocalizer(t.bundle, l)
	}
	return t, nil
}

// malaysiaTime is Asia/Kuala_Lumpur, or its fixed offset (UTC+8, no
// daylight saving since 1982) where the zone database is missing.
func malaysiaTime() *time.Location {
	if loc, err := time.LoadLocation("Asia/Kuala_Lumpur"); err == nil {
		return loc
	}
	return time.FixedZone("MYT", 8*60*60)
}

// lang returns a supported language, the default for anything else.
func (t *translator) lang(l string) string {
	if jaga.SupportedLanguage(l) {
		return l
	}
	return jaga.DefaultLanguage
}

// match picks a language from an Accept-Language header; the default when
// none of the preferred languages is supported.
func (t *translator) match(acceptLanguage string) string {
	if acceptLanguage == "" {
		return jaga.DefaultLanguage
	}
	prefs, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(prefs) == 0 {
		return jaga.DefaultLanguage
	}
	_, i, conf := t.matcher.Match(prefs...)
	if conf == language.No {
		return jaga.DefaultLanguage
	}
	return jaga.Languages[i]
}

// has reports whether the message id exists in lang.
func (t *translator) has(lang, id string) bool { return t.ids[t.lang(lang)][id] }

// T returns message id in lang. kv are pairs of template names and values
// for messages such as "{{.N}} attempts left". A missing id is recorded
// (see missingIDs) and shown as the id itself.
func (t *translator) T(lang, id string, kv ...any) string {
	lang = t.lang(lang)
	if !t.ids[lang][id] {
		t.mu.Lock()
		t.missing[lang+":"+id] = true
		t.mu.Unlock()
		return id
	}
	if len(kv) == 0 {
		key := [2]string{lang, id}
		t.plainMu.RLock()
		msg, ok := t.plain[key]
		t.plainMu.RUnlock()
		if ok {
			return msg
		}
		msg = t.localize(lang, id, nil)
		t.plainMu.Lock()
		if t.plain == nil {
			t.plain = map[[2]string]string{}
		}
		t.plain[key] = msg
		t.plainMu.Unlock()
		return msg
	}
	data := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		data[fmt.Sprint(kv[i])] = kv[i+1]
	}
	return t.localize(lang, id, data)
}

// localize renders message id, known in lang, with data.
func (t *translator) localize(lang, id string, data map[string]any) string {
	s, err := t.localizers[lang].Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if err != nil {
		return id
	}
	return s
}

// missingIDs lists the ids asked for that no message file has.
func (t *translator) missingIDs() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]string, 0, len(t.missing))
	for k := range t.missing {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// word translates a value of a closed set (a role, a category, ...) with
// the message prefix+value, or returns the value itself when jaga gained a
// value the message files do not know yet.
func (t *translator) word(lang, prefix, value string) string {
	if value == "" {
		return ""
	}
	if id := prefix + value; t.has(lang, id) {
		return t.T(lang, id)
	}
	return value
}

func (t *translator) Role(lang, role string) string     { return t.word(lang, "role.", role) }
func (t *translator) OrgKind(lang, kind string) string  { return t.word(lang, "orgkind.", kind) }
func (t *translator) Category(lang, cat string) string  { return t.word(lang, "category.", cat) }
func (t *translator) Field(lang, field string) string   { return t.word(lang, "field.", field) }
func (t *translator) Action(lang, action string) string { return t.word(lang, "action.", action) }
func (t *translator) IDType(lang, idType string) string { return t.word(lang, "idtype.", idType) }
func (t *translator) Channel(lang, ch string) string    { return t.word(lang, "channel.", ch) }

// Decision says an access-log decision in plain words: allowed, refused
// or, for an organisation that must work under a contract and had none
// that covered the access, refused for want of an active contract.
func (t *translator) Decision(lang string, v *jaga.AccessView) string {
	if v.Decision == jaga.DecisionAllow {
		return t.T(lang, "decision.allow")
	}
	switch v.Policy {
	case "contract-required":
		return t.T(lang, "decision.deny_no_contract")
	case "unmask-reason-required":
		return t.T(lang, "decision.deny_no_reason")
	case "break-glass-not-enabled":
		return t.T(lang, "decision.deny_break_glass")
	case "default-deny":
		return t.T(lang, "decision.deny_no_rule")
	}
	return t.T(lang, "decision.deny")
}

// Purpose describes a purpose of use in lang, from the registry.
func (t *translator) Purpose(lang string, p *jaga.Purpose) string {
	if p == nil {
		return ""
	}
	d := p.DescriptionMS
	if t.lang(lang) == "en" {
		d = p.DescriptionEN
	}
	if d == "" {
		return p.Code
	}
	return d
}

// words translates each value of a list and joins them.
func (t *translator) words(lang string, f func(lang, v string) string, values []string) string {
	out := make([]string, 0, len(values))
	for _, v := range values {
		out = append(out, f(lang, v))
	}
	return strings.Join(out, ", ")
}

// DateTime formats an instant in Malaysian time, as "5 Mac 2026, 14:07".
func (t *translator) DateTime(lang string, at time.Time) string {
	at = at.In(t.location)
	return fmt.Sprintf("%s, %02d:%02d", t.Date(lang, at), at.Hour(), at.Minute())
}

// Date formats the calendar day of an instant in Malaysian time.
func (t *translator) Date(lang string, at time.Time) string {
	at = at.In(t.location)
	return fmt.Sprintf("%d %s %d", at.Day(), t.T(lang, fmt.Sprintf("month.%d", int(at.Month()))), at.Year())
}

// domainMessage maps a safe message of the domain (English, with %d or %s
// for a number or a phrase) to the message id that says it in every
// language; the number becomes {{.N}} and the phrase {{.Detail}}.
type domainMessage struct {
	re *regexp.Regexp
	id string
}

// domainMessages lists the domain's messages that a page can show. Any
// other message is shown as the generic message of its error code.
var domainMessages = compileDomainMessages([][2]string{
	// Middleware and forms.
	{"The form has expired or did not come from jaga. Reload the page and try again.", "err.csrf"},
	{"The request body is larger than %d bytes.", "err.too_large"},
	{"Internal error.", "err.internal"},
	{"Sign in first.", "err.sign_in_first"},
	{"No such page.", "err.no_page"},
	{"The form could not be read.", "err.form_unreadable"},
	// Contacts.
	{"Enter a phone number or an email address.", "err.contact_required"},
	{"A phone number may hold only digits, spaces, dashes and a leading +.", "err.phone_chars"},
	{"Start the phone number with 0 or with + and the country code.", "err.phone_start"},
	{"A country code cannot start with 0.", "err.phone_country"},
	{"A phone number has 8 to 15 digits with its country code.", "err.phone_length"},
	{"A Malaysian mobile number starts with 01 and has 10 or 11 digits.", "err.phone_my"},
	{"An email address must be at most 254 characters.", "err.email_long"},
	{"Enter an email address such as name@example.com.", "err.email_format"},
	{"The email address needs a domain such as example.com.", "err.email_domain"},
	{"That phone number or email is already in use.", "err.contact_in_use"},
	// One-time codes.
	{"Too many codes were sent. Try again in %d minutes.", "err.codes_too_many"},
	{"Wait %d seconds before asking for another code.", "err.code_wait"},
	{"Too many wrong codes. Ask for a new code.", "err.code_too_many_wrong"},
	{"The code is wrong. %d attempts left.", "err.code_wrong"},
	{"This code request is unknown. Ask for a new code.", "err.code_unknown"},
	{"This code was already used. Ask for a new code.", "err.code_used"},
	{"The code has expired. Ask for a new code.", "err.code_expired"},
	{"Sign in to change your phone number or email.", "err.sign_in_first"},
	{"Your session has ended. Sign in again.", "err.session_ended"},
	// Staff sign-in.
	{"The email, password or code is wrong.", "err.staff_signin_wrong"},
	{"Too many failed sign-ins. Try again in %d minutes.", "err.staff_locked"},
	{"This account is disabled.", "err.staff_disabled"},
	// Profiles and dependants.
	{"Some fields are not valid.", "err.fields_invalid"},
	{"Full name is required.", "err.full_name_required"},
	{"Full name must be at most 150 characters.", "err.full_name_long"},
	{"Full name has characters that are not allowed.", "err.full_name_chars"},
	{"An identity card number has 12 digits.", "err.nric_format"},
	{"A passport number has 5 to 20 letters and digits.", "err.passport_format"},
	{"Identity document type must be nric or passport.", "err.id_type"},
	{"Date of birth must be a date as YYYY-MM-DD.", "err.dob_format"},
	{"Date of birth cannot be in the future.", "err.dob_future"},
	{"Date of birth is more than 130 years ago.", "err.dob_old"},
	{"Nationality must be a two-letter country code, such as MY.", "err.nationality"},
	{"Address must be at most 300 characters.", "err.address_long"},
	{"Language must be ms or en.", "err.language"},
	{"Sign in to add a dependant.", "err.sign_in_first"},
	{"Sign in to see your dependants.", "err.sign_in_first"},
	{"Sign in to see who accessed your data.", "err.sign_in_first"},
	{"A dependant cannot add dependants.", "err.dependant_no_dependants"},
	{"You can hold at most %d dependants.", "err.dependants_max"},
	{"No such person.", "err.no_person"},
	// Staff reading a person's data.
	{"A purpose is required.", "err.purpose_required"},
	{"Relationship must be case.", "err.relationship"},
	{"Reference must be at most 64 characters.", "err.reference_long"},
	{"To see masked fields, type a reason of at least 10 characters.", "err.unmask_reason"},
	{"Reason must be at most 500 characters.", "err.reason_long"},
	{"Enter the person's id.", "err.person_required"},
	{"Access denied: %s.", "err.access_denied"},
	// The support desk.
	{"This answer is required.", "err.desk_required"},
	{"Give a date as YYYY-MM-DD.", "err.desk_date"},
	{"The date cannot be in the future.", "err.desk_date_future"},
	{"The date is too far in the past.", "err.desk_date_past"},
	{"The date must be within a year from today.", "err.desk_date_year"},
	{"This answer has characters that are not allowed.", "err.desk_chars"},
	{"This answer must be at most %d characters.", "err.desk_answer_long"},
	{"Choose one of: %s.", "err.desk_choose"},
	{"Give a country as a two-letter code, such as MY.", "err.desk_country"},
	{"Give the flight number as on the boarding pass, such as MH370.", "err.desk_flight"},
	{"Give the airport's three-letter code, such as KUL.", "err.desk_airport"},
	{"Choose yourself or one of your dependants.", "err.desk_person"},
	{"The text must be at most %d characters.", "err.desk_text_long"},
	{"Write a message.", "err.desk_write"},
	{"Tell the citizen why, in a message.", "err.desk_why"},
	{"The file is empty.", "err.desk_file_empty"},
	{"Choose a file to attach.", "err.desk_file_choose"},
	{"A file may be at most %d MB.", "err.desk_file_large"},
	{"This file is %s, not a document. Attach a JPEG or PNG photo or a PDF.", "err.desk_file_program"},
	{"Attach a JPEG or PNG photo or a PDF; this file is none of them.", "err.desk_file_kind"},
	{"This image cannot be read; take the photo again and attach it.", "err.desk_image"},
	{"This PDF holds scripts or other files; print it to a plain PDF or attach a photo.", "err.desk_pdf_active"},
	{"A ticket holds at most %d attachments.", "err.desk_attachments_max"},
	{"A ticket of this type takes no attachments; answer its questions instead.", "err.desk_no_attachments"},
	{"Attachments are not available at the moment; try again later.", "err.desk_attachments_off"},
	{"This ticket is closed; open a new ticket if you still need help.", "err.desk_closed"},
	{"This ticket is no longer open; open a new ticket if you still need help.", "err.desk_closed"},
	{"This ticket was resolved more than %d days ago; open a new ticket if you still need help.", "err.desk_reopen_late"},
	{"This ticket is rated already.", "err.desk_rated"},
	{"Rate a ticket once it is resolved.", "err.desk_rate_when"},
	{"Score must be from 1 to 5.", "err.desk_score"},
	{"Choose at least one thing to share with the airline.", "err.desk_share"},
	{"No such ticket.", "err.desk_no_ticket"},
	{"No such ticket in your queues.", "err.desk_no_ticket_queue"},
	{"No open ticket with that reference in your queues.", "err.desk_no_ticket_queue"},
	{"Only tickets about the same person can be merged.", "err.desk_merge_person"},
	{"Merge into a ticket that is still open.", "err.desk_merge_open"},
	{"A ticket cannot be merged into itself.", "err.desk_merge_self"},
	{"Agents take tickets for themselves; a supervisor assigns them to others.", "err.desk_assign_self"},
	{"Assign the ticket to a support agent of the organisation that works its queue.", "err.desk_assign_who"},
	{"Give a new state, a new queue or both.", "err.desk_move_what"},
	{"Name the authority's queue: immigration or airport_health.", "err.desk_authority_queue"},
	{"No organisation works that queue yet.", "err.desk_queue_unworked"},
	{"A ticket that is %s cannot become %s.", "err.desk_transition"},
	{"Only support staff work the desk's queues.", "err.desk_staff_only"},
	{"Only supervisors and the ministry read the desk's reports.", "err.desk_reports_only"},
	{"Certificates cannot be issued at the moment; try again later.", "err.desk_certs_off"},
	{"Risk statuses are not available at the moment; try again later.", "err.desk_risk_off"},
	// The support desk's changes to a record and self-service checks.
	{"Kind must be refresh or correction.", "err.desk_change_kind"},
	{"A refresh changes no field; leave field, dose and value empty.", "err.desk_change_refresh"},
	{"Choose a field of the record to correct.", "err.desk_change_field"},
	{"Choose the dose to correct.", "err.desk_change_dose"},
	{"Choose a dose only to correct a dose's detail.", "err.desk_change_dose_only"},
	{"Give the correct value, in at most 200 printable characters.", "err.desk_change_value"},
	{"Say why, in at least 10 characters.", "err.desk_change_reason"},
	{"The reason must be at most 500 characters.", "err.desk_change_reason_long"},
	{"The reason has characters that are not allowed.", "err.desk_change_reason_chars"},
	{"A ticket of this type does not concern that part of the record.", "err.desk_change_scope"},
	{"is the value the record already holds", "err.desk_change_same"},
	{"is not a dose of this person", "err.desk_change_not_dose"},
	{"Only the ministry's supervisors and health officers see change requests.", "err.desk_change_see"},
	{"Only the ministry's supervisors and health officers decide change requests.", "err.desk_change_decide"},
	{"Only the ministry's health officers and supervisors decide corrections.", "err.desk_correction_decide"},
	{"A second officer must decide a request; you asked for this one.", "err.desk_change_second"},
	{"This request was decided already.", "err.desk_change_decided"},
	{"Decision must be approve or reject.", "err.desk_change_decision"},
	{"Paste the text of the certificate's QR code.", "err.desk_payload"},
	{"This is too long to be a certificate's QR code.", "err.desk_payload_long"},
	{"Certificate verification is not available at the moment; try again later.", "err.desk_verify_off"},
	{"Give the first day as YYYY-MM-DD.", "err.report_from"},
	{"Give the last day as YYYY-MM-DD.", "err.report_to"},
	{"Give the period as from and to dates, YYYY-MM-DD.", "err.report_period"},
	{"The end of the period must come after its start.", "err.report_order"},
	{"A report covers at most a year.", "err.report_year"},
})

func compileDomainMessages(pairs [][2]string) []domainMessage {
	out := make([]domainMessage, len(pairs))
	for i, p := range pairs {
		expr := regexp.QuoteMeta(p[0])
		expr = strings.ReplaceAll(expr, "%d", `(?P<N>\d+)`)
		expr = strings.ReplaceAll(expr, "%s", `(?P<Detail>.+)`)
		out[i] = domainMessage{re: regexp.MustCompile("^" + expr + "$"), id: p[1]}
	}
	return out
}

// Message translates a safe message of the domain. A message the
// catalogue lacks becomes the generic message of its error code, so that
// a page never mixes languages; code is the error code for that case.
func (t *translator) Message(lang, code, msg string) string {
	for _, dm := range domainMessages {
		m := dm.re.FindStringSubmatch(msg)
		if m == nil {
			continue
		}
		var kv []any
		for i, name := range dm.re.SubexpNames() {
			if name != "" {
				kv = append(kv, name, m[i])
			}
		}
		return t.T(lang, dm.id, kv...)
	}
	return t.codeMessage(lang, code)
}

// codeMessage is the generic message of an error code.
func (t *translator) codeMessage(lang, code string) string {
	if code == "" {
		code = jaga.EINTERNAL
	}
	if id := "error.code." + code; t.has(lang, id) {
		return t.T(lang, id)
	}
	return t.T(lang, "error.code."+jaga.EINTERNAL)
}

// Error translates err's safe message.
func (t *translator) Error(lang string, err error) string {
	return t.Message(lang, jaga.ErrorCode(err), jaga.ErrorMessage(err))
}

// Fields translates err's per-field problems.
func (t *translator) Fields(lang string, err error) map[string]string {
	fields := jaga.ErrorFields(err)
	if len(fields) == 0 {
		return nil
	}
	out := make(map[string]string, len(fields))
	for k, msg := range fields {
		out[k] = t.Message(lang, jaga.EINVALID, msg)
	}
	return out
}

// messageIDs returns the ids of one message file, for the parity test.
func messageIDs(lang string) (map[string]bool, error) {
	buf, err := fs.ReadFile(messageFS, path.Join("i18n", lang+".json"))
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(buf, &m); err != nil {
		return nil, err
	}
	ids := make(map[string]bool, len(m))
	for k := range m {
		ids[k] = true
	}
	return ids, nil
}
