package web

import (
	"net/http"
)

// outboxPage is the demo outbox: the messages jaga would have sent and the
// demo staff accounts with their current codes.
type outboxPage struct {
	Messages []outboxRow
	Accounts []DemoAccount
}

type outboxRow struct {
	When, Channel, Destination, Subject, Body string
}

// outboxShow is routed only in demo mode (Options.Demo).
func (s *Server) outboxShow(w http.ResponseWriter, r *http.Request, v *view) error {
	var d outboxPage
	if s.svc.Outbox != nil {
		ms, err := s.svc.Outbox.RecentMessages(r.Context(), 50)
		if err != nil {
			return err
		}
		for _, m := range ms {
			d.Messages = append(d.Messages, outboxRow{When: s.i18n.DateTime(v.Lang, m.CreatedAt),
				Channel: s.i18n.Channel(v.Lang, m.Channel), Destination: m.Destination, Subject: m.Subject, Body: m.Body})
		}
	}
	if s.opts.DemoAccounts != nil {
		for _, a := range s.opts.DemoAccounts() {
			a.Role = s.i18n.Role(v.Lang, a.Role)
			d.Accounts = append(d.Accounts, a)
		}
	}
	return s.render(w, r, v, http.StatusOK, "outbox", d)
}
