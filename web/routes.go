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

	// API: the citizen's and their dependants' vaccination certificates.
	mux.Handle("GET /api/v1/me/certificates", s.api(s.certificateList))
	mux.Handle("POST /api/v1/me/certificates/refresh", s.api(s.certificateRefresh))
	mux.Handle("GET /api/v1/me/certificates/{id}", s.api(s.certificateShow))
	mux.Handle("GET /api/v1/me/certificates/{id}/qr.png", s.api(s.certificateQR))
	mux.Handle("GET /api/v1/me/certificates/{id}/certificate.pdf", s.api(s.certificatePDF))

	// API: corrections of records, by one health officer and approved by
	// another; the trust material verifiers need, public.
	mux.Handle("POST /api/v1/corrections", s.api(s.correctionCreate))
	mux.Handle("GET /api/v1/corrections", s.api(s.correctionList))
	mux.Handle("GET /api/v1/corrections/{id}", s.api(s.correctionShow))
	mux.Handle("POST /api/v1/corrections/{id}/approve", s.api(s.correctionApprove))
	mux.Handle("POST /api/v1/corrections/{id}/reject", s.api(s.correctionReject))
	mux.Handle("GET /api/v1/trust-list", s.api(s.trustListShow))
	mux.Handle("GET /api/v1/revocation-list", s.api(s.revocationListShow))
	mux.Handle("GET /api/v1/trust-list/key", s.api(s.trustKeyShow))

	// API: the support desk: citizens' tickets, and agents' queues.
	mux.Handle("GET /api/v1/me/tickets", s.api(s.ticketList))
	mux.Handle("POST /api/v1/me/tickets", s.api(s.ticketCreate))
	mux.Handle("GET /api/v1/me/tickets/{id}", s.api(s.ticketShow))
	mux.Handle("POST /api/v1/me/tickets/{id}/replies", s.api(s.ticketReply))
	mux.Handle("POST /api/v1/me/tickets/{id}/rating", s.api(s.ticketRate))
	mux.Handle("POST /api/v1/me/tickets/{id}/close", s.api(s.ticketClose))
	mux.Handle("POST /api/v1/me/tickets/{id}/attachments", s.api(s.ticketAttachmentCreate))
	mux.Handle("GET /api/v1/me/tickets/{id}/attachments/{attachmentID}", s.api(s.ticketAttachmentShow))
	mux.Handle("GET /api/v1/desk/tickets", s.api(s.deskQueueList))
	mux.Handle("POST /api/v1/desk/tickets/{id}/reads", s.api(s.deskTicketRead))
	mux.Handle("POST /api/v1/desk/tickets/{id}/posts", s.api(s.deskTicketPost))
	mux.Handle("POST /api/v1/desk/tickets/{id}/transitions", s.api(s.deskTicketTransition))
	mux.Handle("PUT /api/v1/desk/tickets/{id}/assignee", s.api(s.deskTicketAssign))
	mux.Handle("POST /api/v1/desk/tickets/{id}/merge", s.api(s.deskTicketMerge))
	mux.Handle("POST /api/v1/desk/tickets/{id}/attachments/{attachmentID}/reads", s.api(s.deskAttachmentRead))
	mux.Handle("POST /api/v1/desk/tickets/{id}/changes", s.api(s.deskChangeCreate))
	mux.Handle("GET /api/v1/desk/changes", s.api(s.deskChangeList))
	mux.Handle("POST /api/v1/desk/changes/{id}/approve", s.api(s.deskChangeApprove))
	mux.Handle("POST /api/v1/desk/changes/{id}/reject", s.api(s.deskChangeReject))
	mux.Handle("POST /api/v1/me/fixes", s.api(s.fixCreate))
	mux.Handle("GET /api/v1/desk/reports", s.api(s.deskReportShow))
	mux.Handle("GET /api/v1/desk/reports.csv", s.api(s.deskReportCSV))

	// API: the airline channel: a passenger's consent code, and an
	// airline's boarding query with it.
	mux.Handle("POST /api/v1/me/boarding-codes", s.api(s.consentCodeCreate))
	mux.Handle("POST /api/v1/boarding-queries", s.api(s.boardingQueryCreate))

	// API: contact tracing and risk status.
	mux.Handle("POST /api/v1/cases", s.api(s.caseCreate))
	mux.Handle("POST /api/v1/cases/lab-feed", s.api(s.caseFeedCreate))
	mux.Handle("POST /api/v1/cases/imports", s.api(s.caseImportCreate))
	mux.Handle("GET /api/v1/cases/{id}/contacts", s.api(s.caseContactList))
	mux.Handle("POST /api/v1/cases/{id}/contacts", s.api(s.caseContactCreate))
	mux.Handle("POST /api/v1/tracing/days/{day}", s.api(s.traceDayCreate))
	mux.Handle("GET /api/v1/me/risk", s.api(s.riskList))
	mux.Handle("GET /api/v1/hotspots", s.api(s.areaHotspotList))
	mux.Handle("GET /api/v1/tracing/hotspots", s.api(s.premisesHotspotList))
	mux.Handle("POST /api/v1/tracing/hotspots/{id}/decision", s.api(s.hotspotDecisionCreate))

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
	mux.Handle("GET /me/certificates", s.page(s.certificatesShow))
	mux.Handle("GET /me/risk", s.page(s.riskShow))
	mux.Handle("POST /me/certificates/refresh", s.post(s.certificateRefreshSubmit))

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

	// Pages: the citizen's help desk: self-service fixes, tickets, the
	// airline consent code; and the agent console.
	mux.Handle("GET /help", s.page(s.helpShow))
	mux.Handle("POST /help/fixes", s.post(s.fixSubmit))
	mux.Handle("POST /help/boarding-code", s.post(s.consentCodeSubmit))
	mux.Handle("GET /help/tickets", s.page(s.ticketsShow))
	mux.Handle("GET /help/tickets/new", s.page(s.ticketNewShow))
	mux.Handle("POST /help/tickets", s.post(s.ticketCreateSubmit))
	mux.Handle("GET /help/tickets/{id}", s.page(s.ticketPageShow))
	mux.Handle("POST /help/tickets/{id}/replies", s.post(s.ticketReplySubmit))
	mux.Handle("POST /help/tickets/{id}/attachments", s.upload(s.ticketAttachSubmit))
	mux.Handle("POST /help/tickets/{id}/rating", s.post(s.ticketRateSubmit))
	mux.Handle("POST /help/tickets/{id}/close", s.post(s.ticketCloseSubmit))
	mux.Handle("GET /desk", s.page(s.deskShow))
	mux.Handle("GET /desk/tickets/{id}", s.page(s.deskTicketShow))
	mux.Handle("POST /desk/tickets/{id}/unmask", s.post(s.deskUnmaskSubmit))
	mux.Handle("POST /desk/tickets/{id}/posts", s.post(s.deskPostSubmit))
	mux.Handle("POST /desk/tickets/{id}/transitions", s.post(s.deskTransitionSubmit))
	mux.Handle("POST /desk/tickets/{id}/assignee", s.post(s.deskAssignSubmit))
	mux.Handle("POST /desk/tickets/{id}/merge", s.post(s.deskMergeSubmit))
	mux.Handle("POST /desk/tickets/{id}/changes", s.post(s.deskChangeSubmit))
	mux.Handle("GET /desk/changes", s.page(s.deskChangesShow))
	mux.Handle("POST /desk/changes/{id}/decision", s.post(s.deskChangeDecideSubmit))
	mux.Handle("GET /desk/reports", s.page(s.deskReportsShow))

	// Pages: the demo outbox, only in demo mode; elsewhere it is not found.
	if s.opts.Demo {
		mux.Handle("GET /dev/outbox", s.page(s.outboxShow))
	}

	// Pages: anything else outside /api/ is the not-found page.
	mux.Handle("/", s.page(s.notFoundShow))
}
