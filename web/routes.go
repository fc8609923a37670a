package web

import "net/http"

// routes lists every route of jaga. The OpenAPI document (openapi.json)
// describes each /api/v1 route; a test fails when one is missing.
func (s *Server) routes(mux *http.ServeMux) {
	// Operations.
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", s.metricsHandler())

	// API: citizens' accounts and sessions.
	mux.Handle("POST /api/v1/auth/challenges", s.api(s.challengeCreate))
	mux.Handle("POST /api/v1/auth/sessions", s.api(s.sessionCreate))
	mux.Handle("DELETE /api/v1/auth/session", s.api(s.sessionDelete))
	mux.Handle("POST /api/v1/staff/sessions", s.api(s.staffSessionCreate))

	// API: the signed-in citizen, their profile, dependants and accesses.
	mux.Handle("GET /api/v1/me", s.api(s.meShow))
	mux.Handle("PUT /api/v1/me/profile", s.api(s.meProfileUpdate))
	mux.Handle("POST /api/v1/me/contact-changes", s.api(s.contactChangeCreate))
	mux.Handle("POST /api/v1/me/contact-changes/{id}/verify", s.api(s.contactChangeVerify))
	mux.Handle("GET /api/v1/me/dependants", s.api(s.dependantList))
	mux.Handle("POST /api/v1/me/dependants", s.api(s.dependantCreate))
	mux.Handle("PUT /api/v1/me/dependants/{id}/profile", s.api(s.dependantProfileUpdate))
	mux.Handle("GET /api/v1/me/accesses", s.api(s.accessList))

	// API: staff and partners reading a person's data through the gate.
	mux.Handle("POST /api/v1/people/{id}/reads", s.api(s.personRead))

	// API: stewardship.
	mux.Handle("GET /api/v1/purposes", s.api(s.purposeList))
	mux.Handle("GET /api/v1/contracts", s.api(s.contractList))
	mux.Handle("POST /api/v1/contracts", s.api(s.contractCreate))
	mux.Handle("POST /api/v1/contracts/{id}/approve", s.api(s.contractApprove))
	mux.Handle("POST /api/v1/contracts/{id}/terminate", s.api(s.contractTerminate))
	mux.Handle("GET /api/v1/public/contracts", s.api(s.publicContractList))
	mux.Handle("GET /api/v1/audit/checkpoints", s.api(s.checkpointList))
	mux.Handle("POST /api/v1/audit/checkpoints", s.api(s.checkpointCreate))

	// API: organisations, staff and partner clients.
	mux.Handle("GET /api/v1/organisations", s.api(s.organisationList))
	mux.Handle("POST /api/v1/organisations", s.api(s.organisationCreate))
	mux.Handle("GET /api/v1/organisations/{id}/staff", s.api(s.staffList))
	mux.Handle("POST /api/v1/organisations/{id}/staff", s.api(s.staffCreate))
	mux.Handle("POST /api/v1/organisations/{id}/api-clients", s.api(s.apiClientCreate))
	mux.Handle("POST /api/v1/organisations/{id}/api-clients/{clientID}/revoke", s.api(s.apiClientRevoke))

	// API: premises and check-in.
	mux.Handle("POST /api/v1/premises", s.api(s.premisesCreate))
	mux.Handle("GET /api/v1/premises/{id}", s.api(s.premisesShow))
	mux.Handle("POST /api/v1/premises/{id}/rotate", s.api(s.premisesRotate))
	mux.Handle("GET /api/v1/premises/{id}/token", s.api(s.premisesToken))
	mux.Handle("GET /api/v1/premises/{id}/visits", s.api(s.premisesVisitCounts))
	mux.Handle("POST /api/v1/premises/{id}/assisted-checkins", s.api(s.assistedCheckInCreate))
	mux.Handle("GET /api/v1/organisations/{id}/premises", s.api(s.organisationPremisesList))
	mux.Handle("POST /api/v1/checkins", s.api(s.checkInCreate))
	mux.Handle("POST /api/v1/checkins/offline", s.api(s.offlineCheckInCreate))
	mux.Handle("POST /api/v1/checkins/{id}/checkout", s.api(s.checkOutCreate))
	mux.Handle("GET /api/v1/me/visits", s.api(s.visitList))
	mux.Handle("GET /api/v1/premises/{id}/poster.pdf", s.api(s.premisesPosterPDF))
	mux.Handle("GET /api/v1/premises/{id}/poster.png", s.api(s.premisesPosterPNG))

	// API: verification: health certificates, open to anyone.
	mux.Handle("POST /api/v1/verify", s.api(s.certificateVerify))

	// API: vaccination records.
	mux.Handle("POST /api/v1/doses", s.api(s.doseCreate))
	mux.Handle("POST /api/v1/doses/imports", s.api(s.doseImportCreate))
	mux.Handle("GET /api/v1/me/doses", s.api(s.doseList))

	mux.HandleFunc("GET /api/v1/openapi.json", s.openAPI)
	mux.Handle("/api/", s.api(s.apiNotFound))

	// Pages: server-rendered, in Malay or English (?lang=ms|en). s.page
	// adapts a page, s.post a form: body cap, then the CSRF check.
	mux.Handle("GET /{$}", s.page(s.homeShow))
	mux.Handle("GET /authorised-organisations", s.page(s.organisationsShow))
	mux.Handle("GET /verify", s.page(s.verifyCertShow))
	mux.Handle("POST /verify", s.post(s.verifyCertSubmit))
	mux.Handle("GET /static/", s.staticServe())

	// Pages: citizens' sign-in.
	mux.Handle("GET /signin", s.page(s.signinShow))
	mux.Handle("POST /signin", s.post(s.signinSubmit))
	mux.Handle("GET /signin/verify", s.page(s.signinVerifyShow))
	mux.Handle("POST /signin/verify", s.post(s.signinVerifySubmit))
	mux.Handle("POST /signout", s.post(s.signoutSubmit))

	// Pages: the signed-in citizen.
	mux.Handle("GET /me", s.page(s.mePageShow))
	mux.Handle("POST /me/profile", s.post(s.meProfileSubmit))
	mux.Handle("POST /me/dependants", s.post(s.dependantCreateSubmit))
	mux.Handle("POST /me/dependants/{id}/profile", s.post(s.dependantProfileSubmit))
	mux.Handle("POST /me/contact", s.post(s.contactSubmit))
	mux.Handle("GET /me/contact/verify", s.page(s.contactVerifyShow))
	mux.Handle("POST /me/contact/verify", s.post(s.contactVerifySubmit))
	mux.Handle("GET /me/accesses", s.page(s.accessesShow))

	// Pages: check-in at a premises by its short code, the door screen,
	// the citizen's visits and check-out.
	mux.Handle("GET /checkin", s.page(s.checkInShow))
	mux.Handle("POST /checkin", s.post(s.checkInSubmit))
	mux.Handle("POST /checkin/{id}/checkout", s.post(s.checkOutSubmit))
	mux.Handle("GET /me/visits", s.page(s.visitsShow))

	// Pages: staff.
	mux.Handle("GET /staff/signin", s.page(s.staffSigninShow))
	mux.Handle("POST /staff/signin", s.post(s.staffSigninSubmit))
	mux.Handle("GET /staff", s.page(s.staffShow))
	mux.Handle("POST /staff/people/lookup", s.post(s.personLookupSubmit))
	mux.Handle("POST /staff/signout", s.post(s.staffSignoutSubmit))

	// Pages: premises staff: their premises, codes, posters and counts.
	mux.Handle("GET /staff/premises", s.page(s.premisesPageShow))
	mux.Handle("POST /staff/premises", s.post(s.premisesCreateSubmit))
	mux.Handle("POST /staff/premises/{id}/rotate", s.post(s.premisesRotateSubmit))

	// Pages: the demo outbox, only in demo mode; elsewhere it is not found.
	if s.opts.Demo {
		mux.Handle("GET /dev/outbox", s.page(s.outboxShow))
	}

	// Pages: anything else outside /api/ is the not-found page.
	mux.Handle("/", s.page(s.notFoundShow))
}
