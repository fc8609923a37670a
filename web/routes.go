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

	mux.HandleFunc("GET /api/v1/openapi.json", s.openAPI)
	mux.Handle("/api/", s.api(s.apiNotFound))

	// Pages.
	s.pageRoutes(mux)
}
