package jaga

// Macro is a prepared public reply for a ticket type, in both languages;
// the agent sends it in the citizen's language, and may move the ticket
// with it.
type Macro struct {
	Code           string `json:"code"`
	Type           string `json:"type"`            // the ticket type, or "*" for every type
	State          string `json:"state,omitempty"` // the state it moves the ticket to, if any
	NameMS, NameEN string
	BodyMS, BodyEN string
}

// Body returns the macro's text in lang.
func (m Macro) Body(lang string) string {
	if lang == "en" {
		return m.BodyEN
	}
	return m.BodyMS
}

// Name returns the macro's name in lang.
func (m Macro) Name(lang string) string {
	if lang == "en" {
		return m.NameEN
	}
	return m.NameMS
}

// Macros is the desk's fixed set of prepared replies. None asks for a
// picture of an identity document: the forms ask for fields.
var Macros = []Macro{
	{Code: "looking", Type: "*", State: StateInReview,
		NameMS: "Sedang disemak", NameEN: "Looking into it",
		BodyMS: "Terima kasih. Kami sedang menyemak tiket anda dan akan memberi kemas kini sebelum masa yang ditunjukkan dalam aplikasi jaga.",
		BodyEN: "Thank you. We are looking into your ticket and will update you before the time shown in the jaga app."},
	{Code: "resolved_generic", Type: "*", State: StateResolved,
		NameMS: "Selesai", NameEN: "Resolved",
		BodyMS: "Masalah anda telah diselesaikan. Jika belum, balas tiket ini dalam masa 14 hari dan kami akan membukanya semula.",
		BodyEN: "Your problem is resolved. If it is not, reply to this ticket within 14 days and we will reopen it."},
	{Code: "dose_registry_check", Type: TicketDoseMissing, State: StateInReview,
		NameMS: "Semakan dengan pusat vaksinasi", NameEN: "Checking with the centre",
		BodyMS: "Kami sedang menyemak rekod dos anda dengan pusat vaksinasi. Apabila dos itu direkodkan, sijil anda akan dikemas kini dengan sendirinya.",
		BodyEN: "We are checking your dose with the vaccination centre. Once it is recorded, your certificate updates by itself."},
	{Code: "dose_batch_needed", Type: TicketDoseMissing, State: StateWaitingCitizen,
		NameMS: "Minta nombor kelompok", NameEN: "Ask for the batch number",
		BodyMS: "Sila balas dengan nombor kelompok (batch) dan nama pusat vaksinasi seperti pada kad vaksinasi anda. Jangan hantar gambar kad pengenalan.",
		BodyEN: "Please reply with the batch number and the vaccination centre's name as on your vaccination card. Do not send a picture of your identity card."},
	{Code: "dose_shown_refresh", Type: TicketDoseNotShown, State: StateResolved,
		NameMS: "Dos kini dipaparkan", NameEN: "Dose now shown",
		BodyMS: "Dos anda ada dalam rekod. Buka Sijil saya dan tekan Kemas kini dari daftar untuk mendapatkan sijil baharu.",
		BodyEN: "Your dose is in the record. Open My certificates and press Refresh from the registry to get a new certificate."},
	{Code: "details_corrected", Type: TicketWrongDetails, State: StateResolved,
		NameMS: "Butiran dibetulkan", NameEN: "Details corrected",
		BodyMS: "Butiran anda telah dibetulkan oleh pegawai kesihatan. Sijil lama dibatalkan dan sijil baharu telah dikeluarkan.",
		BodyEN: "Your details were corrected by a health officer. The old certificate is revoked and a new one has been issued."},
	{Code: "risk_review", Type: TicketRiskDispute, State: StateInReview,
		NameMS: "Status sedang disemak", NameEN: "Status under review",
		BodyMS: "Seorang pegawai kesihatan sedang menyemak status risiko anda berdasarkan sebab, peraturan dan tempoh yang ditunjukkan dalam aplikasi.",
		BodyEN: "A health officer is reviewing your risk status against the reason, rule and window the app shows."},
	{Code: "overseas_received", Type: TicketOverseasCertificate, State: StateInReview,
		NameMS: "Sijil luar negara diterima", NameEN: "Overseas certificate received",
		BodyMS: "Kami telah menerima sijil luar negara anda dan akan menyemaknya sebelum tarikh perjalanan anda.",
		BodyEN: "We have your overseas certificate and will review it before your departure date."},
	{Code: "boarding_checked", Type: TicketBoardingProblem, State: StateResolved,
		NameMS: "Disahkan kepada syarikat penerbangan", NameEN: "Confirmed to the airline",
		BodyMS: "Kami telah menyemak rekod anda. Tunjukkan kod persetujuan baharu dari aplikasi jaga di kaunter.",
		BodyEN: "We have checked your record. Show a new consent code from the jaga app at the counter."},
	{Code: "account_verify", Type: TicketAccountChange, State: StateWaitingCitizen,
		NameMS: "Sahkan telefon atau e-mel baharu", NameEN: "Verify the new phone or email",
		BodyMS: "Sila tukar telefon atau e-mel anda dalam Profil saya; kod sekali guna akan dihantar kepada nombor atau alamat baharu.",
		BodyEN: "Please change your phone or email under My profile; a one-time code goes to the new number or address."},
	{Code: "data_request_received", Type: TicketDataRequest, State: StateInReview,
		NameMS: "Permintaan data diterima", NameEN: "Data request received",
		BodyMS: "Permintaan data anda diterima. Pegawai perlindungan data akan menjawab dalam tempoh yang ditetapkan oleh undang-undang.",
		BodyEN: "Your data request is received. A data protection officer will answer within the time the law sets."},
}

// MacrosFor returns the macros for a ticket type: its own, then those for
// every type.
func MacrosFor(ticketType string) []Macro {
	var own, all []Macro
	for _, m := range Macros {
		switch m.Type {
		case ticketType:
			own = append(own, m)
		case "*":
			all = append(all, m)
		}
	}
	return append(own, all...)
}

// MacroByCode returns the macro of a code for a ticket type.
func MacroByCode(ticketType, code string) (Macro, bool) {
	for _, m := range MacrosFor(ticketType) {
		if m.Code == code {
			return m, true
		}
	}
	return Macro{}, false
}
