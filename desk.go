package jaga

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Ticket types: what a citizen needs help with.
const (
	TicketDoseMissing         = "dose_missing"         // a dose or the whole record is missing
	TicketDoseNotShown        = "dose_not_shown"       // a recorded dose does not show on the certificate or status
	TicketWrongDetails        = "wrong_details"        // a name, date or number on the record is wrong
	TicketRiskDispute         = "risk_status_dispute"  // the risk status shown is disputed
	TicketOverseasCertificate = "overseas_certificate" // a certificate from abroad is not accepted
	TicketBoardingProblem     = "boarding_problem"     // a travel or boarding problem, now
	TicketAccountChange       = "account_change"       // a lost phone or email, a dependant to move
	TicketDataRequest         = "data_request"         // access to, correction or deletion of one's data
)

// Ticket states.
const (
	StateReceived       = "received"
	StateInReview       = "in_review"
	StateWaitingCitizen = "waiting_citizen"
	StateWithAuthority  = "with_authority"
	StateResolved       = "resolved"
	StateClosed         = "closed"
	StateMerged         = "merged"
	StateRejected       = "rejected"
)

// TicketStates lists every state.
var TicketStates = []string{StateReceived, StateInReview, StateWaitingCitizen, StateWithAuthority,
	StateResolved, StateClosed, StateMerged, StateRejected}

// TicketFinal reports whether a ticket in state can change no more.
func TicketFinal(state string) bool {
	return state == StateClosed || state == StateMerged || state == StateRejected
}

// Ticket priorities, lowest first.
const (
	PriorityLow    = "low"
	PriorityNormal = "normal"
	PriorityHigh   = "high"
	PriorityUrgent = "urgent"
)

// Priorities lists every priority, lowest first.
var Priorities = []string{PriorityLow, PriorityNormal, PriorityHigh, PriorityUrgent}

// Desk rules.
const (
	// ReopenWindow is how long after resolution the citizen may reopen a
	// ticket; after it, a new ticket is needed.
	ReopenWindow = 14 * 24 * time.Hour
	// MaxPostRunes bounds a reply or note.
	MaxPostRunes = 5000
	// MaxDescriptionRunes bounds the citizen's own description of a problem.
	MaxDescriptionRunes = 2000
	// UrgentTravelWindow: a ticket whose declared departure is this close
	// is opened with high priority.
	UrgentTravelWindow = 7 * 24 * time.Hour
)

// Queue codes. Each queue is worked by one organisation, which the ministry
// names (see DeskService.SetQueueOrganisation).
const (
	QueueContractorTier1 = "contractor_tier1"
	QueueMinistryTier2   = "ministry_tier2"
	QueueImmigration     = "immigration"
	QueueAirportHealth   = "airport_health"
	QueueAirlineLiaison  = "airline_liaison"
)

// Calendar codes.
const (
	CalendarBusinessMY = "business_my" // Malaysia, Monday to Friday, 08:00 to 17:00
	Calendar24x7       = "24x7"
)

// Queue is a line of tickets that one organisation works.
type Queue struct {
	Code      string   `json:"code"`
	Tier      int      `json:"tier"`
	OrgKinds  []string `json:"orgKinds"`  // kinds of organisation that may work it
	Calendar  string   `json:"calendar"`  // the hours its clocks count
	Authority bool     `json:"authority"` // an escalation to an outside authority
	NameMS    string   `json:"nameMs"`
	NameEN    string   `json:"nameEn"`
}

// Queues lists every queue.
var Queues = []Queue{
	{Code: QueueContractorTier1, Tier: 1, OrgKinds: []string{OrgContractor, OrgMinistry}, Calendar: CalendarBusinessMY,
		NameMS: "Meja bantuan", NameEN: "Help desk"},
	{Code: QueueMinistryTier2, Tier: 2, OrgKinds: []string{OrgMinistry}, Calendar: CalendarBusinessMY,
		NameMS: "Kementerian Kesihatan", NameEN: "Ministry of Health"},
	{Code: QueueImmigration, Tier: 2, OrgKinds: []string{OrgAuthority}, Calendar: CalendarBusinessMY, Authority: true,
		NameMS: "Jabatan Imigresen", NameEN: "Immigration"},
	{Code: QueueAirportHealth, Tier: 2, OrgKinds: []string{OrgAuthority}, Calendar: Calendar24x7, Authority: true,
		NameMS: "Kesihatan Lapangan Terbang", NameEN: "Airport Health"},
	{Code: QueueAirlineLiaison, Tier: 1, OrgKinds: []string{OrgMinistry, OrgContractor}, Calendar: Calendar24x7,
		NameMS: "Talian syarikat penerbangan 24 jam", NameEN: "24-hour airline line"},
}

// QueueByCode returns the queue of a code.
func QueueByCode(code string) (Queue, bool) {
	for _, q := range Queues {
		if q.Code == code {
			return q, true
		}
	}
	return Queue{}, false
}

// Name returns the queue's name in lang.
func (q Queue) Name(lang string) string {
	if lang == "en" {
		return q.NameEN
	}
	return q.NameMS
}

// DeskRoles are the staff roles that work tickets.
var DeskRoles = []string{RoleSupportAgent, RoleSupervisor, RoleAuthorityLiaison}

// Form field kinds.
const (
	FieldText    = "text"    // free text up to Max runes
	FieldDate    = "date"    // YYYY-MM-DD
	FieldChoice  = "choice"  // one of Choices
	FieldCountry = "country" // ISO 3166-1 alpha-2 (alpha-3 is read too)
	FieldNumber  = "number"  // a whole number from Min to Max
	FieldFlight  = "flight"  // an IATA flight number such as MH 370 or AK6123
	FieldAirport = "airport" // an IATA airport code such as KUL
)

// FormField is one question of a ticket type's form.
type FormField struct {
	Name     string   `json:"name"`
	Kind     string   `json:"kind"`
	Required bool     `json:"required"`
	Choices  []string `json:"choices,omitempty"`
	Min      int      `json:"min,omitempty"`
	Max      int      `json:"max,omitempty"` // runes of text, or the largest number
	// Future reports whether a date may lie in the future (a departure).
	Future bool `json:"future,omitempty"`
}

// TicketType is a kind of ticket: the form it asks, the data an agent needs
// for it and where it goes.
type TicketType struct {
	Code       string      `json:"code"`
	NameMS     string      `json:"nameMs"`
	NameEN     string      `json:"nameEn"`
	Fields     []FormField `json:"fields"`
	Categories []string    `json:"categories"` // the record categories an agent sees for it
	Queue      string      `json:"queue"`      // where it is routed first
	Priority   string      `json:"priority"`   // its priority when opened
	// TravelField names the form's date of departure, if any: the
	// resolution is due before it.
	TravelField string `json:"travelField,omitempty"`
	// SelfService names the fixes the citizen is offered before a ticket
	// of this type is opened.
	SelfService []string `json:"selfService,omitempty"`
	// Attachments reports whether the citizen may attach a document (a
	// vaccination card, an overseas certificate, a marriage certificate).
	Attachments bool `json:"attachments,omitempty"`
}

// Self-service fixes offered before a ticket.
const (
	FixRefreshRecord  = "refresh_record"  // fetch the record from the registry again
	FixExplainStatus  = "explain_status"  // show the risk status's reason, rule, window and end
	FixResendCert     = "resend_cert"     // send the certificate again
	FixUpdateContact  = "update_contact"  // change phone or email with a one-time code
	FixVerifyOverseas = "verify_overseas" // verify a foreign certificate by its signature
)

var (
	doseNumberField = FormField{Name: "doseNumber", Kind: FieldNumber, Required: true, Min: 1, Max: MaxDoseNumber}
	givenOnField    = FormField{Name: "givenOn", Kind: FieldDate, Required: true}
	departureField  = FormField{Name: "departureDate", Kind: FieldDate, Future: true}
	recordFields    = []string{"fullName", "dateOfBirth", "idNumber", "nationality", "doseDetails"}
)

// TicketTypes lists every ticket type with its form. Forms ask for fields,
// never for a picture of an identity document.
var TicketTypes = []TicketType{
	{Code: TicketDoseMissing, NameMS: "Dos atau rekod tiada", NameEN: "Dose or record missing",
		Fields: []FormField{doseNumberField, givenOnField,
			{Name: "product", Kind: FieldChoice, Choices: sortedKeys(VaccineProducts)},
			{Name: "country", Kind: FieldCountry, Required: true},
			{Name: "centreName", Kind: FieldText, Max: 120},
			{Name: "batch", Kind: FieldText, Max: MaxBatchLength}},
		Categories: []string{CategoryIdentity, CategoryVaccination, CategorySupport},
		Queue:      QueueContractorTier1, Priority: PriorityNormal, SelfService: []string{FixRefreshRecord}, Attachments: true},
	{Code: TicketDoseNotShown, NameMS: "Dos tidak dipaparkan", NameEN: "Dose not shown",
		Fields: []FormField{doseNumberField, givenOnField,
			{Name: "notShownOn", Kind: FieldChoice, Required: true, Choices: []string{"certificate", "status", "door_screen"}}},
		Categories: []string{CategoryIdentity, CategoryVaccination, CategorySupport},
		Queue:      QueueContractorTier1, Priority: PriorityNormal, SelfService: []string{FixRefreshRecord, FixResendCert}},
	{Code: TicketWrongDetails, NameMS: "Butiran salah", NameEN: "Wrong details",
		Fields: []FormField{{Name: "field", Kind: FieldChoice, Required: true, Choices: recordFields},
			{Name: "correctValue", Kind: FieldText, Required: true, Max: 150},
			{Name: "document", Kind: FieldChoice, Required: true, Choices: []string{IDTypeNRIC, IDTypePassport, "birth_certificate", "marriage_certificate"}}},
		Categories: []string{CategoryIdentity, CategoryVaccination, CategorySupport},
		Queue:      QueueContractorTier1, Priority: PriorityNormal, Attachments: true},
	{Code: TicketRiskDispute, NameMS: "Pertikaian status risiko", NameEN: "Risk status dispute",
		Fields: []FormField{{Name: "statusShown", Kind: FieldChoice, Required: true,
			Choices: []string{"casual_contact", "close_contact", "person_under_surveillance", "confirmed"}},
			{Name: "shownSince", Kind: FieldDate, Required: true},
			{Name: "explanation", Kind: FieldText, Required: true, Max: 1000}},
		Categories: []string{CategoryIdentity, CategoryHealth, CategorySupport},
		Queue:      QueueMinistryTier2, Priority: PriorityNormal, SelfService: []string{FixExplainStatus}},
	{Code: TicketOverseasCertificate, NameMS: "Sijil luar negara", NameEN: "Overseas certificate",
		Fields: []FormField{{Name: "issuingCountry", Kind: FieldCountry, Required: true},
			{Name: "format", Kind: FieldChoice, Required: true, Choices: []string{"eu_dcc", "smart_health_card", "paper", "other"}},
			departureField},
		Categories: []string{CategoryIdentity, CategoryVaccination, CategoryTravel, CategorySupport},
		Queue:      QueueMinistryTier2, Priority: PriorityNormal, TravelField: "departureDate", SelfService: []string{FixVerifyOverseas},
		Attachments: true},
	{Code: TicketBoardingProblem, NameMS: "Masalah perjalanan atau menaiki pesawat", NameEN: "Travel or boarding problem",
		Fields: []FormField{{Name: "flight", Kind: FieldFlight, Required: true},
			{Name: "airport", Kind: FieldAirport, Required: true},
			{Name: "departureDate", Kind: FieldDate, Required: true, Future: true},
			{Name: "problem", Kind: FieldChoice, Required: true, Choices: []string{"certificate_refused", "name_mismatch", "status_shown", "other"}}},
		Categories: []string{CategoryIdentity, CategoryVaccination, CategoryTravel, CategorySupport},
		Queue:      QueueAirlineLiaison, Priority: PriorityUrgent, TravelField: "departureDate"},
	{Code: TicketAccountChange, NameMS: "Perubahan akaun", NameEN: "Account change",
		Fields: []FormField{{Name: "change", Kind: FieldChoice, Required: true,
			Choices: []string{"lost_phone", "lost_email", "move_dependant", "duplicate_account", "other"}}},
		Categories: []string{CategoryIdentity, CategoryContact, CategorySupport},
		Queue:      QueueContractorTier1, Priority: PriorityNormal, SelfService: []string{FixUpdateContact}},
	{Code: TicketDataRequest, NameMS: "Permintaan data", NameEN: "Data request",
		Fields: []FormField{{Name: "request", Kind: FieldChoice, Required: true, Choices: []string{"access", "correction", "deletion"}},
			{Name: "scope", Kind: FieldChoice, Required: true, Choices: []string{"all", "profile", "checkins", "vaccination", "health", "support"}}},
		Categories: []string{CategoryIdentity, CategoryContact, CategorySupport},
		Queue:      QueueMinistryTier2, Priority: PriorityNormal},
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TicketTypeByCode returns the ticket type of a code.
func TicketTypeByCode(code string) (TicketType, bool) {
	for _, t := range TicketTypes {
		if t.Code == code {
			return t, true
		}
	}
	return TicketType{}, false
}

// TicketTypeCodes lists every ticket type's code.
func TicketTypeCodes() []string {
	codes := make([]string, len(TicketTypes))
	for i, t := range TicketTypes {
		codes[i] = t.Code
	}
	return codes
}

var (
	flightPattern  = regexp.MustCompile(`^[A-Z0-9]{2}[0-9]{1,4}[A-Z]?$`)
	airportPattern = regexp.MustCompile(`^[A-Z]{3}$`)
)

// NormalizeForm trims the form's values and brings codes to their
// canonical case; blank values are dropped.
func (t TicketType) NormalizeForm(form map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range form {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		f, ok := t.field(k)
		switch {
		case !ok:
		case f.Kind == FieldText:
			v = strings.Join(strings.Fields(v), " ")
		case f.Kind == FieldCountry:
			if c, ok := CountryCode(v); ok {
				v = c
			}
		case f.Kind == FieldFlight:
			v = strings.ToUpper(strings.ReplaceAll(v, " ", ""))
		case f.Kind == FieldAirport:
			v = strings.ToUpper(v)
		}
		out[k] = v
	}
	return out
}

func (t TicketType) field(name string) (FormField, bool) {
	for _, f := range t.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return FormField{}, false
}

// ValidForm returns each problem of a normalized form, keyed "form.<name>",
// or nil. now bounds dates: past dates may not lie in the future, and a
// departure may lie at most a year ahead. Messages never repeat the value.
func (t TicketType) ValidForm(form map[string]string, now time.Time) map[string]string {
	problems := map[string]string{}
	for name := range form {
		if _, ok := t.field(name); !ok {
			problems["form."+name] = "This form has no such question."
		}
	}
	today := now.In(Malaysia).Format(time.DateOnly)
	for _, f := range t.Fields {
		v, ok := form[f.Name]
		key := "form." + f.Name
		if !ok {
			if f.Required {
				problems[key] = "This answer is required."
			}
			continue
		}
		if !utf8.ValidString(v) || strings.ContainsAny(v, "<>\x00") {
			problems[key] = "This answer has characters that are not allowed."
			continue
		}
		switch f.Kind {
		case FieldText:
			if utf8.RuneCountInString(v) > f.Max {
				problems[key] = fmt.Sprintf("This answer must be at most %d characters.", f.Max)
			}
		case FieldChoice:
			if !slices.Contains(f.Choices, v) {
				problems[key] = "Choose one of: " + strings.Join(f.Choices, ", ") + "."
			}
		case FieldCountry:
			if _, ok := CountryCode(v); !ok || len(v) != 2 {
				problems[key] = "Give a country as a two-letter code, such as MY."
			}
		case FieldNumber:
			n, err := strconv.Atoi(v)
			if err != nil || n < f.Min || n > f.Max {
				problems[key] = fmt.Sprintf("Give a whole number from %d to %d.", f.Min, f.Max)
			}
		case FieldFlight:
			if !flightPattern.MatchString(v) {
				problems[key] = "Give the flight number as on the boarding pass, such as MH370."
			}
		case FieldAirport:
			if !airportPattern.MatchString(v) {
				problems[key] = "Give the airport's three-letter code, such as KUL."
			}
		case FieldDate:
			d, err := time.Parse(time.DateOnly, v)
			switch {
			case err != nil:
				problems[key] = "Give a date as YYYY-MM-DD."
			case f.Future && v > now.In(Malaysia).AddDate(1, 0, 0).Format(time.DateOnly):
				problems[key] = "The date must be within a year from today."
			case !f.Future && v > today:
				problems[key] = "The date cannot be in the future."
			case d.Before(time.Date(2019, 12, 1, 0, 0, 0, 0, time.UTC)):
				problems[key] = "The date is too far in the past."
			}
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return problems
}

// Ticket is a citizen's request for help and where it stands.
type Ticket struct {
	ID          string            `json:"id"`
	Reference   string            `json:"reference"` // short, for people: JG-XXXXXXXX
	Type        string            `json:"type"`
	PersonID    string            `json:"personId,omitempty"`    // whom it concerns: the citizen or a dependant
	RequesterID string            `json:"requesterId,omitempty"` // who opened it: the citizen
	State       string            `json:"state"`
	StateLabel  string            `json:"stateLabel"` // in the reader's language
	Priority    string            `json:"priority"`
	Queue       string            `json:"queue"`
	AssigneeID  string            `json:"assigneeId,omitempty"`
	MergedInto  string            `json:"mergedInto,omitempty"` // the reference of the ticket it was merged into
	Form        map[string]string `json:"form,omitempty"`
	Description string            `json:"description,omitempty"`
	Tried       []string          `json:"tried,omitempty"` // self-service fixes tried before opening
	Rating      int               `json:"rating,omitempty"`
	CreatedAt   time.Time         `json:"createdAt"`
	UpdatedAt   time.Time         `json:"updatedAt"`
	ResolvedAt  *time.Time        `json:"resolvedAt,omitempty"`
	// NextUpdateBy is when the citizen may expect to hear next; nil while
	// the desk waits for the citizen or the ticket is done.
	NextUpdateBy *time.Time `json:"nextUpdateBy,omitempty"`
	Clocks       []Clock    `json:"clocks,omitempty"` // staff views only
}

// NewTicket is what a citizen sends to open a ticket.
type NewTicket struct {
	Type        string            `json:"type"`
	PersonID    string            `json:"personId,omitempty"` // the citizen or one of their dependants; if empty, the citizen
	Form        map[string]string `json:"form"`
	Description string            `json:"description,omitempty"`
	Tried       []string          `json:"tried,omitempty"`
}

// Valid normalizes the request and returns each field's problem, or nil.
func (n *NewTicket) Valid(now time.Time) map[string]string {
	t, ok := TicketTypeByCode(n.Type)
	if !ok {
		return map[string]string{"type": "Ticket type must be one of " + strings.Join(TicketTypeCodes(), ", ") + "."}
	}
	n.Form = t.NormalizeForm(n.Form)
	problems := t.ValidForm(n.Form, now)
	if problems == nil {
		problems = map[string]string{}
	}
	n.Description = strings.TrimSpace(n.Description)
	if p := textProblem(n.Description, MaxDescriptionRunes); p != "" {
		problems["description"] = p
	}
	fixes := []string{FixRefreshRecord, FixExplainStatus, FixResendCert, FixUpdateContact, FixVerifyOverseas}
	for _, f := range n.Tried {
		if !slices.Contains(fixes, f) {
			problems["tried"] = "Tried must list self-service fixes among " + strings.Join(fixes, ", ") + "."
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return problems
}

func textProblem(s string, max int) string {
	switch {
	case !utf8.ValidString(s) || strings.ContainsRune(s, 0):
		return "The text has characters that are not allowed."
	case utf8.RuneCountInString(s) > max:
		return fmt.Sprintf("The text must be at most %d characters.", max)
	}
	return ""
}

// Post is one entry of a ticket's thread: a public reply or, for staff only,
// an internal note.
type Post struct {
	ID         string    `json:"id"`
	TicketID   string    `json:"ticketId"`
	AuthorKind string    `json:"authorKind"`         // ActorCitizen, ActorStaff or ActorSystem
	AuthorName string    `json:"authorName"`         // staff display name and organisation; "" for the citizen
	Internal   bool      `json:"internal,omitempty"` // a note for staff, never shown to the citizen
	Body       string    `json:"body"`
	CreatedAt  time.Time `json:"createdAt"`
}

// Reply is a new post.
type Reply struct {
	Body     string `json:"body"`
	Internal bool   `json:"internal,omitempty"` // staff only
}

// Valid trims the reply and returns its problems, or nil.
func (r *Reply) Valid() map[string]string {
	r.Body = strings.TrimSpace(r.Body)
	if r.Body == "" {
		return map[string]string{"body": "Write a message."}
	}
	if p := textProblem(r.Body, MaxPostRunes); p != "" {
		return map[string]string{"body": p}
	}
	return nil
}

// Rating is the citizen's satisfaction with a resolved ticket.
type Rating struct {
	Score   int    `json:"score"` // 1 (poor) to 5 (excellent)
	Comment string `json:"comment,omitempty"`
}

// Valid returns the rating's problems, or nil.
func (r *Rating) Valid() map[string]string {
	problems := map[string]string{}
	if r.Score < 1 || r.Score > 5 {
		problems["score"] = "Score must be from 1 to 5."
	}
	r.Comment = strings.TrimSpace(r.Comment)
	if p := textProblem(r.Comment, 500); p != "" {
		problems["comment"] = p
	}
	if len(problems) == 0 {
		return nil
	}
	return problems
}

// Transition actors: who moves a ticket.
const (
	ByCitizen = "citizen" // the person or their guardian
	ByAgent   = "agent"   // staff working the ticket's queue
	BySystem  = "system"  // jaga's own jobs
)

// Transition is one allowed change of state.
type Transition struct {
	From, To, By string
}

// Transitions is the one table of allowed state changes. Anything not in it
// is refused.
var Transitions = []Transition{
	{StateReceived, StateInReview, ByAgent},
	{StateReceived, StateWaitingCitizen, ByAgent},
	{StateReceived, StateWithAuthority, ByAgent},
	{StateReceived, StateResolved, ByAgent},
	{StateReceived, StateRejected, ByAgent},
	{StateReceived, StateMerged, ByAgent},

	{StateInReview, StateWaitingCitizen, ByAgent},
	{StateInReview, StateWithAuthority, ByAgent},
	{StateInReview, StateResolved, ByAgent},
	{StateInReview, StateRejected, ByAgent},
	{StateInReview, StateMerged, ByAgent},

	{StateWaitingCitizen, StateInReview, ByCitizen}, // the citizen answers
	{StateWaitingCitizen, StateInReview, ByAgent},
	{StateWaitingCitizen, StateResolved, ByAgent},
	{StateWaitingCitizen, StateRejected, ByAgent},
	{StateWaitingCitizen, StateMerged, ByAgent},
	{StateWaitingCitizen, StateClosed, BySystem}, // no answer for too long

	{StateWithAuthority, StateInReview, ByAgent},
	{StateWithAuthority, StateWaitingCitizen, ByAgent},
	{StateWithAuthority, StateResolved, ByAgent},
	{StateWithAuthority, StateRejected, ByAgent},

	{StateResolved, StateInReview, ByCitizen}, // reopened within ReopenWindow
	{StateResolved, StateClosed, ByCitizen},
	{StateResolved, StateClosed, BySystem},
}

// CheckTransition returns nil when by may move a ticket from one state to
// another, or an error saying precisely why not.
func CheckTransition(from, to, by string) error {
	if !slices.Contains(TicketStates, to) {
		return Invalid(map[string]string{"state": "State must be one of " + strings.Join(TicketStates, ", ") + "."})
	}
	if TicketFinal(from) {
		return Errorf(ECONFLICT, "This ticket is %s; it cannot change any more.", StateLabel(from, "en", ""))
	}
	if from == to {
		return Errorf(ECONFLICT, "This ticket is already %s.", StateLabel(from, "en", ""))
	}
	var others []string
	for _, t := range Transitions {
		if t.From == from && t.To == to {
			if t.By == by {
				return nil
			}
			others = append(others, t.By)
		}
	}
	if len(others) > 0 {
		return Errorf(EFORBIDDEN, "Only the %s can move a ticket from %s to %s.", strings.Join(others, " or the "),
			StateLabel(from, "en", ""), StateLabel(to, "en", ""))
	}
	return Errorf(ECONFLICT, "A ticket that is %s cannot become %s.", StateLabel(from, "en", ""), StateLabel(to, "en", ""))
}

// stateLabels are the citizen's words for each state; %s is the authority.
var stateLabels = map[string][2]string{ // ms, en
	StateReceived:       {"Diterima", "Received"},
	StateInReview:       {"Sedang disemak", "In review"},
	StateWaitingCitizen: {"Kami perlukan sesuatu daripada anda", "We need something from you"},
	StateWithAuthority:  {"Bersama %s", "With %s"},
	StateResolved:       {"Selesai", "Resolved"},
	StateClosed:         {"Ditutup", "Closed"},
	StateMerged:         {"Digabungkan dengan tiket lain", "Merged with another ticket"},
	StateRejected:       {"Ditolak", "Rejected"},
}

// StateLabel returns the plain label of a state in lang ("ms" or "en"); for
// StateWithAuthority, queue names the authority.
func StateLabel(state, lang, queue string) string {
	l, ok := stateLabels[state]
	if !ok {
		return state
	}
	i := 0
	if lang == "en" {
		i = 1
	}
	if state != StateWithAuthority {
		return l[i]
	}
	name := map[bool]string{false: "pihak berkuasa", true: "the authority"}[i == 1]
	if q, ok := QueueByCode(queue); ok && q.Authority {
		name = q.Name(lang)
	}
	return fmt.Sprintf(l[i], name)
}

// TransitionRequest is an agent's request to move a ticket: to another
// state, to another queue, or both. Message, when set, is a public reply
// sent with the change; asking the citizen and rejecting need one.
type TransitionRequest struct {
	State   string `json:"state,omitempty"` // if empty, the state stays
	Queue   string `json:"queue,omitempty"` // if empty, the queue stays; required for StateWithAuthority
	Message string `json:"message,omitempty"`
}

// Valid trims the request and returns its problems against a ticket in
// state from, or nil.
func (r *TransitionRequest) Valid(from string) map[string]string {
	problems := map[string]string{}
	r.Message = strings.TrimSpace(r.Message)
	if r.State == "" && r.Queue == "" {
		problems["state"] = "Give a new state, a new queue or both."
	}
	to := r.State
	if to == "" {
		to = from
	}
	if r.Queue != "" {
		q, ok := QueueByCode(r.Queue)
		switch {
		case !ok:
			problems["queue"] = "Queue must be one of " + strings.Join(queueCodes(), ", ") + "."
		case to == StateWithAuthority && !q.Authority:
			problems["queue"] = "A ticket with an authority goes to an authority's queue: immigration or airport_health."
		case to != StateWithAuthority && q.Authority:
			problems["queue"] = "To send a ticket to an authority's queue, set its state to with_authority."
		}
	} else if r.State == StateWithAuthority {
		problems["queue"] = "Name the authority's queue: immigration or airport_health."
	}
	if (r.State == StateWaitingCitizen || r.State == StateRejected) && r.Message == "" {
		problems["message"] = "Tell the citizen why, in a message."
	}
	if p := textProblem(r.Message, MaxPostRunes); p != "" {
		problems["message"] = p
	}
	if len(problems) == 0 {
		return nil
	}
	return problems
}

func queueCodes() []string {
	codes := make([]string, len(Queues))
	for i, q := range Queues {
		codes[i] = q.Code
	}
	return codes
}

// ---------------------------------------------------------------- clocks

// Malaysia is the time zone of the desk's business hours
// (Asia/Kuala_Lumpur, UTC+8 all year since 1982).
var Malaysia = loadZone("Asia/Kuala_Lumpur", 8*3600)

func loadZone(name string, offset int) *time.Location {
	if l, err := time.LoadLocation(name); err == nil {
		return l
	}
	return time.FixedZone(name, offset)
}

// Calendar is the hours a queue's clocks count: every hour, or working
// hours on working days in a time zone.
type Calendar struct {
	Code     string
	Always   bool // 24x7: every hour counts
	Location *time.Location
	Open     time.Duration // since midnight
	Close    time.Duration // since midnight, after Open
	Days     [7]bool       // indexed by time.Weekday
}

// Calendars lists the desk's calendars by code.
var Calendars = map[string]Calendar{
	Calendar24x7: {Code: Calendar24x7, Always: true, Location: time.UTC},
	CalendarBusinessMY: {Code: CalendarBusinessMY, Location: Malaysia, Open: 8 * time.Hour, Close: 17 * time.Hour,
		Days: [7]bool{time.Monday: true, time.Tuesday: true, time.Wednesday: true, time.Thursday: true, time.Friday: true}},
}

// maxCalendarDays bounds the days a calendar walks, in case it has none.
const maxCalendarDays = 4000

// Working returns the counted time between from and to; 0 if to is not
// after from.
func (c Calendar) Working(from, to time.Time) time.Duration {
	if !to.After(from) {
		return 0
	}
	if c.Always {
		return to.Sub(from)
	}
	var total time.Duration
	day := midnight(from.In(c.Location))
	for i := 0; day.Before(to) && i < maxCalendarDays; i++ {
		if c.Days[day.Weekday()] {
			open, close := day.Add(c.Open), day.Add(c.Close)
			s, e := laterOf(open, from), earlierOf(close, to)
			if e.After(s) {
				total += e.Sub(s)
			}
		}
		day = midnight(day.AddDate(0, 0, 1))
	}
	return total
}

// Add returns the instant at which d of counted time has passed since from.
func (c Calendar) Add(from time.Time, d time.Duration) time.Time {
	if c.Always || d <= 0 {
		return from.Add(max(d, 0))
	}
	day := midnight(from.In(c.Location))
	for i := 0; i < maxCalendarDays; i++ {
		if c.Days[day.Weekday()] {
			s, e := laterOf(day.Add(c.Open), from), day.Add(c.Close)
			if e.After(s) {
				if w := e.Sub(s); w >= d {
					return s.Add(d)
				} else {
					d -= w
				}
			}
		}
		day = midnight(day.AddDate(0, 0, 1))
	}
	return from.Add(d)
}

func midnight(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlierOf(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// SLA metrics: the promises a ticket's clocks measure.
const (
	MetricFirstResponse  = "first_response"  // a person answers the citizen
	MetricPeriodicUpdate = "periodic_update" // no ticket goes silent longer than this
	MetricResolution     = "resolution"      // the problem is resolved
)

// Metrics lists every SLA metric.
var Metrics = []string{MetricFirstResponse, MetricPeriodicUpdate, MetricResolution}

// SLA event kinds, stored in order so that clocks can be recomputed.
const (
	SLAActivated = "activated" // the clock starts (again, for a periodic update), with its target and calendar
	SLAPaused    = "paused"    // the desk waits for the citizen
	SLAResumed   = "resumed"   // the citizen answered
	SLAFulfilled = "fulfilled" // the promise was kept (or kept late)
	SLACancelled = "cancelled" // the ticket ended without it (merged, rejected); not counted
	SLABreached  = "breached"  // a job saw the target pass; the clock runs on
	SLAWarned    = "warned"    // a job saw the target near (PreBreachLead); the clock runs on
)

// SLAEvent is one stored event of a ticket's clock.
type SLAEvent struct {
	Metric   string        `json:"metric"`
	Kind     string        `json:"kind"`
	At       time.Time     `json:"at"`
	Target   time.Duration `json:"target,omitempty"`   // activated only: counted time allowed
	Calendar string        `json:"calendar,omitempty"` // activated only: the calendar that counts
}

// Clock states.
const (
	ClockRunning   = "running"
	ClockPaused    = "paused"
	ClockFulfilled = "fulfilled"
	ClockCancelled = "cancelled"
)

// Clock is a metric's clock as computed from its events at an instant.
type Clock struct {
	Metric      string        `json:"metric"`
	State       string        `json:"state"`
	Calendar    string        `json:"calendar"`
	Target      time.Duration `json:"target"`
	Elapsed     time.Duration `json:"elapsed"`         // counted time so far (to fulfilment, if fulfilled)
	DueAt       *time.Time    `json:"dueAt,omitempty"` // running clocks only
	Breached    bool          `json:"breached"`
	BreachedAt  *time.Time    `json:"breachedAt,omitempty"`
	FulfilledAt *time.Time    `json:"fulfilledAt,omitempty"`
	// BreachRecorded and Warned report whether the breach job recorded a
	// breach or a warning since the latest activation.
	BreachRecorded bool `json:"breachRecorded,omitempty"`
	Warned         bool `json:"warned,omitempty"`
}

// ComputeClock replays the events of one metric, in order, and returns its
// clock at now, and false when the metric was never activated. Only the
// latest activation counts: a periodic update starts a new cycle with each
// update.
func ComputeClock(metric string, events []SLAEvent, now time.Time) (Clock, bool) {
	var c Clock
	var cal Calendar
	var since time.Time
	var recorded *time.Time // a breach a job recorded
	active, warned := false, false
	run := func(until time.Time) {
		w := cal.Working(since, until)
		if c.BreachedAt == nil && c.Elapsed < c.Target && c.Elapsed+w > c.Target {
			at := cal.Add(since, c.Target-c.Elapsed)
			c.BreachedAt = &at
		}
		c.Elapsed += w
	}
	for _, e := range events {
		if e.Metric != metric {
			continue
		}
		switch e.Kind {
		case SLAActivated:
			active = true
			cal = Calendars[e.Calendar]
			if cal.Location == nil {
				cal = Calendars[Calendar24x7]
			}
			c = Clock{Metric: metric, State: ClockRunning, Calendar: cal.Code, Target: e.Target}
			since, recorded, warned = e.At, nil, false
		case SLAPaused:
			if c.State == ClockRunning {
				run(e.At)
				c.State = ClockPaused
			}
		case SLAResumed:
			if c.State == ClockPaused {
				c.State, since = ClockRunning, e.At
			}
		case SLAFulfilled, SLACancelled:
			if c.State == ClockRunning {
				run(e.At)
			}
			if c.State == ClockRunning || c.State == ClockPaused {
				c.State = map[string]string{SLAFulfilled: ClockFulfilled, SLACancelled: ClockCancelled}[e.Kind]
				if e.Kind == SLAFulfilled {
					at := e.At
					c.FulfilledAt = &at
				}
			}
		case SLABreached:
			if active && recorded == nil && c.State != ClockFulfilled && c.State != ClockCancelled {
				at := e.At
				recorded = &at
			}
		case SLAWarned:
			if active && c.State != ClockFulfilled && c.State != ClockCancelled {
				warned = true
			}
		}
	}
	if !active {
		return Clock{}, false
	}
	if c.State == ClockRunning {
		remaining := c.Target - c.Elapsed
		run(now)
		due := cal.Add(since, remaining)
		if remaining <= 0 && c.BreachedAt != nil {
			due = *c.BreachedAt
		}
		c.DueAt = &due
	}
	if c.BreachedAt == nil {
		c.BreachedAt = recorded
	}
	c.Breached = c.BreachedAt != nil
	c.BreachRecorded, c.Warned = recorded != nil, warned
	return c, true
}

// ComputeClocks returns the clock of every activated metric at now.
func ComputeClocks(events []SLAEvent, now time.Time) []Clock {
	var out []Clock
	for _, m := range Metrics {
		if c, ok := ComputeClock(m, events, now); ok {
			out = append(out, c)
		}
	}
	return out
}

// NextUpdateBy returns when the citizen may expect to hear next: the
// earliest due time of a running response or update clock, else of the
// resolution; nil when no clock runs.
func NextUpdateBy(clocks []Clock) *time.Time {
	var next, resolution *time.Time
	for _, c := range clocks {
		if c.State != ClockRunning || c.DueAt == nil {
			continue
		}
		if c.Metric == MetricResolution {
			resolution = c.DueAt
		} else if next == nil || c.DueAt.Before(*next) {
			next = c.DueAt
		}
	}
	if next != nil {
		return next
	}
	return resolution
}

// SLAPolicy is what the desk promises for a ticket: counted time until the
// first response, between updates and until resolution.
type SLAPolicy struct {
	FirstResponse  time.Duration `json:"firstResponse"`
	PeriodicUpdate time.Duration `json:"periodicUpdate"`
	Resolution     time.Duration `json:"resolution"`
}

// Target returns the policy's target for a metric.
func (p SLAPolicy) Target(metric string) time.Duration {
	switch metric {
	case MetricFirstResponse:
		return p.FirstResponse
	case MetricPeriodicUpdate:
		return p.PeriodicUpdate
	}
	return p.Resolution
}

// SLAPolicies holds the promises by "type/priority"; "*" stands for any
// type. Business-hours queues count a working day as 9 hours; the 24-hour
// lanes count minutes.
var SLAPolicies = map[string]SLAPolicy{
	"*/" + PriorityLow:    {FirstResponse: 9 * time.Hour, PeriodicUpdate: 18 * time.Hour, Resolution: 45 * time.Hour},
	"*/" + PriorityNormal: {FirstResponse: 4 * time.Hour, PeriodicUpdate: 9 * time.Hour, Resolution: 27 * time.Hour},
	"*/" + PriorityHigh:   {FirstResponse: 2 * time.Hour, PeriodicUpdate: 4 * time.Hour, Resolution: 9 * time.Hour},
	"*/" + PriorityUrgent: {FirstResponse: time.Hour, PeriodicUpdate: 2 * time.Hour, Resolution: 4 * time.Hour},

	TicketBoardingProblem + "/" + PriorityUrgent: {FirstResponse: 10 * time.Minute, PeriodicUpdate: 30 * time.Minute, Resolution: 2 * time.Hour},
	TicketBoardingProblem + "/" + PriorityHigh:   {FirstResponse: 15 * time.Minute, PeriodicUpdate: time.Hour, Resolution: 4 * time.Hour},
	TicketBoardingProblem + "/" + PriorityNormal: {FirstResponse: 30 * time.Minute, PeriodicUpdate: 2 * time.Hour, Resolution: 8 * time.Hour},
	TicketBoardingProblem + "/" + PriorityLow:    {FirstResponse: time.Hour, PeriodicUpdate: 4 * time.Hour, Resolution: 24 * time.Hour},
}

// SLAPolicyFor returns the promises for a ticket type and priority.
func SLAPolicyFor(ticketType, priority string) SLAPolicy {
	if p, ok := SLAPolicies[ticketType+"/"+priority]; ok {
		return p
	}
	if p, ok := SLAPolicies["*/"+priority]; ok {
		return p
	}
	return SLAPolicies["*/"+PriorityNormal]
}

// OpeningPriority returns the priority a ticket opens with at now: its
// type's, raised to high when its declared departure is near.
func OpeningPriority(t TicketType, form map[string]string, now time.Time) string {
	p := t.Priority
	if dep, ok := departure(t, form); ok && p != PriorityUrgent && dep.Sub(now) <= UrgentTravelWindow {
		p = PriorityHigh
	}
	return p
}

// departure returns the start of the declared departure day in Malaysia.
func departure(t TicketType, form map[string]string) (time.Time, bool) {
	if t.TravelField == "" || form[t.TravelField] == "" {
		return time.Time{}, false
	}
	d, err := time.ParseInLocation(time.DateOnly, form[t.TravelField], Malaysia)
	return d, err == nil
}

// OpeningEvents returns the events that start a new ticket's clocks at now
// in the calendar of its queue: first response and resolution. The
// resolution is due before a declared departure, if that comes sooner
// (though never sooner than the first response).
func OpeningEvents(t TicketType, priority, calendar string, form map[string]string, now time.Time) []SLAEvent {
	p := SLAPolicyFor(t.Code, priority)
	resolution := p.Resolution
	if dep, ok := departure(t, form); ok {
		if w := Calendars[calendar].Working(now, dep); w < resolution {
			resolution = max(w, p.FirstResponse)
		}
	}
	return []SLAEvent{
		{Metric: MetricFirstResponse, Kind: SLAActivated, At: now, Target: p.FirstResponse, Calendar: calendar},
		{Metric: MetricResolution, Kind: SLAActivated, At: now, Target: resolution, Calendar: calendar},
	}
}

// Desk actions that move clocks.
const (
	ActPublicReply  = "public_reply"  // staff answered the citizen
	ActWaitCitizen  = "wait_citizen"  // the desk asks the citizen for something
	ActCitizenReply = "citizen_reply" // the citizen answered while asked
	ActResolve      = "resolve"
	ActEnd          = "end" // merged or rejected
	ActReopen       = "reopen"
)

// ClockEvents returns the events an action adds at now, given the clocks as
// they stand and the ticket's type, priority and calendar.
func ClockEvents(action string, clocks []Clock, ticketType, priority, calendar string, now time.Time) []SLAEvent {
	state := map[string]string{}
	for _, c := range clocks {
		state[c.Metric] = c.State
	}
	p := SLAPolicyFor(ticketType, priority)
	ev := func(metric, kind string) SLAEvent {
		e := SLAEvent{Metric: metric, Kind: kind, At: now}
		if kind == SLAActivated {
			e.Target, e.Calendar = p.Target(metric), calendar
		}
		return e
	}
	live := func(m string) bool { return state[m] == ClockRunning || state[m] == ClockPaused }
	var out []SLAEvent
	switch action {
	case ActPublicReply:
		if live(MetricFirstResponse) {
			out = append(out, ev(MetricFirstResponse, SLAFulfilled))
		}
		if live(MetricPeriodicUpdate) {
			out = append(out, ev(MetricPeriodicUpdate, SLAFulfilled))
		}
		if live(MetricResolution) {
			out = append(out, ev(MetricPeriodicUpdate, SLAActivated))
		}
	case ActWaitCitizen:
		for _, m := range []string{MetricFirstResponse, MetricPeriodicUpdate, MetricResolution} {
			if state[m] == ClockRunning {
				out = append(out, ev(m, SLAPaused))
			}
		}
	case ActCitizenReply:
		for _, m := range []string{MetricPeriodicUpdate, MetricResolution} {
			if state[m] == ClockPaused {
				out = append(out, ev(m, SLAResumed))
			}
		}
	case ActResolve, ActEnd:
		kind := SLAFulfilled
		if action == ActEnd {
			kind = SLACancelled
		}
		for _, m := range Metrics {
			if live(m) {
				k := kind
				if m == MetricFirstResponse && action == ActEnd {
					k = SLAFulfilled // the citizen was told why
				}
				out = append(out, ev(m, k))
			}
		}
	case ActReopen:
		out = append(out, ev(MetricResolution, SLAActivated), ev(MetricPeriodicUpdate, SLAActivated))
	}
	return out
}

// ---------------------------------------------------------------- notices

// TicketNotice returns the notice that tells the requester their ticket
// changed, in every language. It names the ticket and its state only: the
// thread is read in jaga, never sent.
func TicketNotice(t *Ticket, reply bool) Notice {
	n := Notice{Subject: map[string]string{}, Body: map[string]string{}}
	ref := t.Reference
	ms, en := StateLabel(t.State, "ms", t.Queue), StateLabel(t.State, "en", t.Queue)
	n.Subject["ms"], n.Subject["en"] = "jaga: tiket anda "+ref, "jaga: your ticket "+ref
	if reply {
		n.Body["ms"] = fmt.Sprintf("Ada balasan baharu pada tiket jaga %s anda. Status: %s. Baca dalam aplikasi jaga; pegawai kami tidak pernah meminta dokumen anda melalui media sosial.", ref, ms)
		n.Body["en"] = fmt.Sprintf("There is a new reply on your jaga ticket %s. Status: %s. Read it in the jaga app; our officers never ask for your documents through social media.", ref, en)
	} else {
		n.Body["ms"] = fmt.Sprintf("Tiket jaga %s anda kini: %s. Baca lanjut dalam aplikasi jaga; pegawai kami tidak pernah meminta dokumen anda melalui media sosial.", ref, ms)
		n.Body["en"] = fmt.Sprintf("Your jaga ticket %s is now: %s. Read more in the jaga app; our officers never ask for your documents through social media.", ref, en)
	}
	return n
}

// ---------------------------------------------------------------- service

// TicketThread is a ticket with its thread as the reader may see it.
type TicketThread struct {
	Ticket      *Ticket       `json:"ticket"`
	Posts       []*Post       `json:"posts"`
	Attachments []*Attachment `json:"attachments"`
}

// AgentTicketView is a ticket as an agent sees it: the thread with internal
// notes, and the parts of the person's record that its type needs, through
// the gate.
type AgentTicketView struct {
	Ticket      *Ticket       `json:"ticket"`
	Posts       []*Post       `json:"posts"`
	Attachments []*Attachment `json:"attachments"`          // described only; their content is read one by one
	Person      *Person       `json:"person"`               // only the fields of Categories; masked as the gate decides
	Doses       []*Dose       `json:"doses,omitempty"`      // when Categories holds vaccination
	Categories  []string      `json:"categories"`           // what the type lets the agent see
	Masked      bool          `json:"masked"`               // the person's fields are masked
	ContractID  string        `json:"contractId,omitempty"` // the contract the view relies on
	Attempts    []*FixAttempt `json:"attempts"`             // the self-service fixes tried before the ticket opened
	Changes     []*DeskChange `json:"changes"`              // the changes to the record asked for on the ticket
}

// QueueFilter selects tickets of an agent's queues.
type QueueFilter struct {
	Queue    string `json:"queue,omitempty"`    // one queue; if empty, all the agent's queues
	State    string `json:"state,omitempty"`    // one state; if empty, every open state
	Assigned string `json:"assigned,omitempty"` // "me", "none" or "" for any
	Limit    int    `json:"limit,omitempty"`    // at most 200; if 0, 50
}

// DeskService is the support desk. The caller is the Actor in ctx.
// Citizens act on tickets they opened; staff with a desk role act on tickets
// in a queue their organisation works. Anything else is ENOTFOUND, so that
// "not yours" looks like "not found".
type DeskService interface {
	// OpenTicket opens a ticket for the calling citizen or one of their
	// dependants, routed by type. EINVALID with fields for a bad form.
	OpenTicket(ctx context.Context, n NewTicket) (*TicketThread, error)
	// MyTickets lists the calling citizen's tickets, newest first, with
	// their labels and the time of the next expected update.
	MyTickets(ctx context.Context) ([]*Ticket, error)
	// MyTicket returns a citizen's ticket and its public thread.
	MyTicket(ctx context.Context, id string) (*TicketThread, error)
	// RateTicket records the citizen's rating of a resolved ticket once;
	// it closes the ticket. ECONFLICT when rated before or not resolved.
	RateTicket(ctx context.Context, id string, r Rating) (*Ticket, error)
	// CloseTicket lets the citizen close a resolved ticket.
	CloseTicket(ctx context.Context, id string) (*Ticket, error)

	// Reply adds a post: the citizen's (which reopens a resolved ticket
	// within ReopenWindow and answers a question) or staff's, public or
	// internal. ECONFLICT on a closed, merged or rejected ticket.
	Reply(ctx context.Context, id string, r Reply) (*Post, error)

	// QueueTickets lists tickets of the agent's queues, the most urgent
	// first, without personal data.
	QueueTickets(ctx context.Context, f QueueFilter) ([]*Ticket, error)
	// AgentTicket returns the ticket with its whole thread and the person's
	// data its type needs, through the gate (logged whether allowed or
	// not). EFORBIDDEN when the gate denies.
	AgentTicket(ctx context.Context, id string, why AccessReason) (*AgentTicketView, error)
	// TransitionTicket moves a ticket through Transitions and between
	// queues.
	TransitionTicket(ctx context.Context, id string, r TransitionRequest) (*Ticket, error)
	// AssignTicket gives a ticket to a staff member of the organisation
	// that works its queue; "" unassigns. Agents assign to themselves;
	// supervisors to anyone of their organisation.
	AssignTicket(ctx context.Context, id, staffID string) (*Ticket, error)
	// MergeTicket merges a duplicate into another open ticket about the
	// same person.
	MergeTicket(ctx context.Context, id, intoID string) (*Ticket, error)
	// SLAEvents returns a ticket's stored clock events, oldest first.
	SLAEvents(ctx context.Context, id string) ([]SLAEvent, error)

	// SetQueueOrganisation names the organisation that works a queue; for
	// ministry admins and jaga itself.
	SetQueueOrganisation(ctx context.Context, queue, orgID string) error

	// AddAttachment attaches a file to the calling citizen's open ticket of
	// a type that takes attachments, after CleanAttachment; it is kept
	// encrypted for AttachmentRetention. EINVALID or ETOOLARGE for a bad
	// file, ECONFLICT past MaxAttachmentsPerTicket or on a closed ticket.
	AddAttachment(ctx context.Context, ticketID string, data []byte) (*Attachment, error)
	// MyAttachment returns an attachment of the calling citizen's ticket
	// with its content.
	MyAttachment(ctx context.Context, ticketID, id string) (*Attachment, []byte, error)
	// AgentAttachment returns an attachment's content to an agent, through
	// the gate: a document cannot be masked, so the access must be
	// unmasked (a reason, for those whose reads are masked). EFORBIDDEN
	// otherwise.
	AgentAttachment(ctx context.Context, ticketID, id string, why AccessReason) (*Attachment, []byte, error)

	// RunFix runs a self-service fix for the calling citizen or a
	// dependant and records the attempt, which a ticket opened afterwards
	// carries (see FixAttempt). EINVALID for an unknown fix, ENOTFOUND for
	// someone who is not the caller's, EUNAVAILABLE when the service the
	// fix needs is not running.
	RunFix(ctx context.Context, r FixRequest) (*FixAttempt, error)

	// RequestChange asks for a change to the record of the ticket's
	// person: a refresh or a correction, of a part of the record the
	// ticket's type concerns. A ministry agent, or a contractor's agent
	// whose contract covers RECORD_CORRECTION for the categories, acts at
	// once (a correction still waits for a second officer); anyone else's
	// request waits for a ministry supervisor or health officer (see
	// DecideChange). Either way through the gate and the access log, and
	// noted on the ticket. EFORBIDDEN when the gate denies, EINVALID for a
	// bad request, ECONFLICT on a closed ticket, EUNAVAILABLE when a
	// refresh cannot issue certificates.
	RequestChange(ctx context.Context, ticketID string, r ChangeRequest) (*DeskChange, error)
	// Changes lists change requests by status (every status if empty),
	// newest first, for those who decide them (CanDecideChanges).
	// EFORBIDDEN for anyone else.
	Changes(ctx context.Context, status string) ([]*DeskChange, error)
	// DecideChange approves or rejects a pending change request through
	// the gate; a correction is decided as CorrectionService decides it.
	// The ticket's thread shows the outcome. EFORBIDDEN for anyone but
	// CanDecideChanges and for the requester, ECONFLICT once decided.
	DecideChange(ctx context.Context, id string, approve bool) (*DeskChange, error)

	// DeskReport recomputes the desk's figures per queue and per agent
	// from the stored clock events, for supervisors (their organisation's
	// queues) and the ministry (every queue). EFORBIDDEN for anyone else.
	DeskReport(ctx context.Context, f ReportFilter) (*DeskReport, error)

	// CreateConsentCode gives the calling citizen a single-use consent code
	// for themselves or a dependant, valid for ConsentCodeTTL.
	CreateConsentCode(ctx context.Context, n NewConsentCode) (*ConsentCode, error)
	// BoardingQuery answers an airline agent or airline API client who
	// presents a passenger's consent code, through the gate with
	// PurposeAirlineQuery: only what the passenger consented to share, and
	// a ticket in the 24-hour airline lane when an answer is no. ENOTFOUND
	// for an unknown code, ECONFLICT for an expired or used one.
	BoardingQuery(ctx context.Context, q BoardingQuery) (*BoardingAnswer, error)
}

// MaskName keeps the first letter of each word of a name: "Aisyah binti
// Rahman" becomes "A. b. R.".
func MaskName(name string) string {
	var parts []string
	for _, w := range strings.Fields(name) {
		r, _ := utf8.DecodeRuneInString(w)
		parts = append(parts, string(r)+".")
	}
	return strings.Join(parts, " ")
}
