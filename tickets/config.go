package tickets

import "errors"

// Config is the tickets package's configuration, as cmd/gridcast decodes
// it from the YAML file's tickets section. The zero value is usable: every
// part falls back to its defaults. A Config is read-only once built and
// safe for concurrent use.
type Config struct {
	// Keywords configures inbound keyword parsing; zero means the defaults.
	Keywords Keywords
	// Classifier configures classification; zero means DefaultRules.
	Classifier Classifier
	// Levels is the level a new ticket starts at per category; nil means
	// DefaultRouting.
	Levels Routing
	// Triage recognises emergencies and sets the deadlines of the
	// urgencies; zero means the defaults.
	Triage Triage
	// SLA holds deadlines, escalation steps and the reopen window; zero
	// means the defaults.
	SLA SLA
	// Canned overrides canned replies per category; nil means DefaultCanned.
	Canned Canned
	// Quick are the workers' ready answers per category; nil means
	// DefaultQuickReplies.
	Quick QuickReplies
}

// Validate reports every problem in c at once, each naming its field.
func (c Config) Validate() error {
	return errors.Join(c.Keywords.Validate(), c.Classifier.Validate(), c.Levels.Validate(), c.Triage.Validate(), c.SLA.Validate(), c.Canned.Validate(), c.Quick.Validate())
}
