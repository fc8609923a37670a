package jaga

// Notice is a message to a person in each language jaga speaks; the
// outbox sends it in the person's language, by each contact they have, or
// to their guardian's when they have none. Texts never carry personal data
// beyond what the person already knows: no identity numbers, no other
// people's names.
type Notice struct {
	Subject map[string]string // by language
	Body    map[string]string // by language
}

// In returns the subject and body in lang, or in the default language.
func (n *Notice) In(lang string) (subject, body string) {
	if _, ok := n.Body[lang]; !ok {
		lang = DefaultLanguage
	}
	return n.Subject[lang], n.Body[lang]
}
