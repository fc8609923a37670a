package web

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/jaga-health/jaga"
)

// desk returns the desk service, or EUNAVAILABLE when none is wired.
func (s *Server) desk() (jaga.DeskService, error) {
	if s.svc.Desk == nil {
		return nil, jaga.Errorf(jaga.EUNAVAILABLE, "The support desk is not available.")
	}
	return s.svc.Desk, nil
}

// ticketList lists the signed-in citizen's tickets with their labels and
// the time of the next expected update.
func (s *Server) ticketList(w http.ResponseWriter, r *http.Request) error {
	d, err := s.desk()
	if err != nil {
		return err
	}
	if _, err := requireCitizen(r); err != nil {
		return err
	}
	ts, err := d.MyTickets(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list[*jaga.Ticket]{Items: ts})
	return nil
}

// ticketCreate opens a ticket for the citizen or a dependant: 201.
func (s *Server) ticketCreate(w http.ResponseWriter, r *http.Request) error {
	d, err := s.desk()
	if err != nil {
		return err
	}
	if _, err := requireCitizen(r); err != nil {
		return err
	}
	var n jaga.NewTicket
	if err := decodeJSON(w, r, &n); err != nil {
		return err
	}
	th, err := d.OpenTicket(r.Context(), n)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, th)
	return nil
}

// ticketShow returns a citizen's ticket and its public thread.
func (s *Server) ticketShow(w http.ResponseWriter, r *http.Request) error {
	d, err := s.desk()
	if err != nil {
		return err
	}
	if _, err := requireCitizen(r); err != nil {
		return err
	}
	th, err := d.MyTicket(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, th)
	return nil
}

// ticketReply adds the citizen's reply to their ticket. 201 with the post.
func (s *Server) ticketReply(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireCitizen(r); err != nil {
		return err
	}
	return s.ticketPostCreate(w, r)
}

// deskTicketPost adds staff's public reply or internal note to a ticket.
// 201 with the post.
func (s *Server) deskTicketPost(w http.ResponseWriter, r *http.Request) error {
	a, err := requireActor(r)
	if err != nil {
		return err
	}
	if a.IsCitizen() {
		return jaga.Errorf(jaga.ENOTFOUND, "No such ticket.")
	}
	return s.ticketPostCreate(w, r)
}

// ticketPostCreate adds the caller's post to the ticket of the path.
func (s *Server) ticketPostCreate(w http.ResponseWriter, r *http.Request) error {
	d, err := s.desk()
	if err != nil {
		return err
	}
	var rep jaga.Reply
	if err := decodeJSON(w, r, &rep); err != nil {
		return err
	}
	p, err := d.Reply(r.Context(), r.PathValue("id"), rep)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, p)
	return nil
}

// ticketRate records the citizen's rating of a resolved ticket.
func (s *Server) ticketRate(w http.ResponseWriter, r *http.Request) error {
	d, err := s.desk()
	if err != nil {
		return err
	}
	if _, err := requireCitizen(r); err != nil {
		return err
	}
	var rating jaga.Rating
	if err := decodeJSON(w, r, &rating); err != nil {
		return err
	}
	t, err := d.RateTicket(r.Context(), r.PathValue("id"), rating)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

// ticketClose lets the citizen close a resolved ticket.
func (s *Server) ticketClose(w http.ResponseWriter, r *http.Request) error {
	d, err := s.desk()
	if err != nil {
		return err
	}
	if _, err := requireCitizen(r); err != nil {
		return err
	}
	t, err := d.CloseTicket(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

// deskQueueList lists the agent's queues' tickets, without personal data.
func (s *Server) deskQueueList(w http.ResponseWriter, r *http.Request) error {
	d, err := s.desk()
	if err != nil {
		return err
	}
	if _, err := requireActor(r); err != nil {
		return err
	}
	q := r.URL.Query()
	f := jaga.QueueFilter{Queue: q.Get("queue"), State: q.Get("state"), Assigned: q.Get("assigned")}
	if l := q.Get("limit"); l != "" {
		if f.Limit, err = strconv.Atoi(l); err != nil || f.Limit < 1 {
			return jaga.Invalid(map[string]string{"limit": "Limit must be a whole number from 1 to 200."})
		}
	}
	ts, err := d.QueueTickets(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list[*jaga.Ticket]{Items: ts})
	return nil
}

// deskTicketRead returns a ticket to an agent with the person's data its
// type needs, through the gate; the body may ask to unmask, with a reason.
func (s *Server) deskTicketRead(w http.ResponseWriter, r *http.Request) error {
	d, err := s.desk()
	if err != nil {
		return err
	}
	if _, err := requireActor(r); err != nil {
		return err
	}
	var why struct {
		Unmask bool   `json:"unmask,omitempty"`
		Reason string `json:"reason,omitempty"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &why); err != nil {
			return err
		}
	}
	v, err := d.AgentTicket(r.Context(), r.PathValue("id"), jaga.AccessReason{Unmask: why.Unmask, Reason: why.Reason})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// deskTicketTransition moves a ticket to another state, queue or both.
func (s *Server) deskTicketTransition(w http.ResponseWriter, r *http.Request) error {
	d, err := s.desk()
	if err != nil {
		return err
	}
	if _, err := requireActor(r); err != nil {
		return err
	}
	var tr jaga.TransitionRequest
	if err := decodeJSON(w, r, &tr); err != nil {
		return err
	}
	t, err := d.TransitionTicket(r.Context(), r.PathValue("id"), tr)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

// deskTicketAssign assigns a ticket; an empty staffId unassigns it.
func (s *Server) deskTicketAssign(w http.ResponseWriter, r *http.Request) error {
	d, err := s.desk()
	if err != nil {
		return err
	}
	if _, err := requireActor(r); err != nil {
		return err
	}
	var body struct {
		StaffID string `json:"staffId"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	t, err := d.AssignTicket(r.Context(), r.PathValue("id"), body.StaffID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

// deskTicketMerge merges a duplicate into another ticket.
func (s *Server) deskTicketMerge(w http.ResponseWriter, r *http.Request) error {
	d, err := s.desk()
	if err != nil {
		return err
	}
	if _, err := requireActor(r); err != nil {
		return err
	}
	var body struct {
		Into string `json:"into"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	t, err := d.MergeTicket(r.Context(), r.PathValue("id"), body.Into)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

// ticketAttachmentCreate attaches the request body, a JPEG or PNG photo or a
// PDF, to the citizen's ticket: 201 with its description. The type is read
// from the content, whatever the Content-Type or a file name say.
func (s *Server) ticketAttachmentCreate(w http.ResponseWriter, r *http.Request) error {
	d, err := s.desk()
	if err != nil {
		return err
	}
	if _, err := requireCitizen(r); err != nil {
		return err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, jaga.MaxAttachmentBytes))
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr):
		return jaga.Errorf(jaga.ETOOLARGE, "A file may be at most %d MB.", jaga.MaxAttachmentBytes>>20)
	case err != nil:
		return jaga.Errorf(jaga.EINVALID, "The file could not be read in full.")
	}
	a, err := d.AddAttachment(r.Context(), r.PathValue("id"), body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, a)
	return nil
}

// writeAttachment sends an attachment as a download that no browser runs
// or caches.
func writeAttachment(w http.ResponseWriter, a *jaga.Attachment, data []byte) {
	h := w.Header()
	h.Set("Content-Type", a.MediaType)
	h.Set("Content-Disposition", `attachment; filename="`+a.Name+`"`)
	h.Set("Content-Length", strconv.Itoa(len(data)))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.WriteHeader(http.StatusOK)
	w.Write(data)
}

// ticketAttachmentShow returns an attachment of the citizen's ticket.
func (s *Server) ticketAttachmentShow(w http.ResponseWriter, r *http.Request) error {
	d, err := s.desk()
	if err != nil {
		return err
	}
	if _, err := requireCitizen(r); err != nil {
		return err
	}
	a, data, err := d.MyAttachment(r.Context(), r.PathValue("id"), r.PathValue("attachmentID"))
	if err != nil {
		return err
	}
	writeAttachment(w, a, data)
	return nil
}

// deskAttachmentRead returns an attachment to an agent, through the gate;
// the body gives the reason to see it unmasked.
func (s *Server) deskAttachmentRead(w http.ResponseWriter, r *http.Request) error {
	d, err := s.desk()
	if err != nil {
		return err
	}
	if _, err := requireActor(r); err != nil {
		return err
	}
	var why struct {
		Reason string `json:"reason,omitempty"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &why); err != nil {
			return err
		}
	}
	a, data, err := d.AgentAttachment(r.Context(), r.PathValue("id"), r.PathValue("attachmentID"), jaga.AccessReason{Reason: why.Reason})
	if err != nil {
		return err
	}
	writeAttachment(w, a, data)
	return nil
}

// consentCodeCreate gives the citizen a boarding consent code: 201.
func (s *Server) consentCodeCreate(w http.ResponseWriter, r *http.Request) error {
	d, err := s.desk()
	if err != nil {
		return err
	}
	if _, err := requireCitizen(r); err != nil {
		return err
	}
	var n jaga.NewConsentCode
	if err := decodeJSON(w, r, &n); err != nil {
		return err
	}
	c, err := d.CreateConsentCode(r.Context(), n)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, c)
	return nil
}

// boardingQueryCreate answers an airline's boarding query with what the
// passenger consented to share.
func (s *Server) boardingQueryCreate(w http.ResponseWriter, r *http.Request) error {
	d, err := s.desk()
	if err != nil {
		return err
	}
	if _, err := requireActor(r); err != nil {
		return err
	}
	var q jaga.BoardingQuery
	if err := decodeJSON(w, r, &q); err != nil {
		return err
	}
	ans, err := d.BoardingQuery(r.Context(), q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ans)
	return nil
}
