package contract

import (
	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

func jurisdictionKey(s store.Store) (string, error) { return s.Key(domain.TypeJurisdiction) }

// governance is what the jurisdiction's key holds: the jurisdiction and
// the policy profile in force, so every transaction reads both in one
// round trip. The profile's own record (domain.TypeProfile) keeps its
// history and is written in the same transaction whenever it changes; a
// channel bootstrapped before the profile was kept here reads that record
// until its next profile change.
type governance struct {
	domain.Jurisdiction
	ProfileInForce *domain.ProfileRecord `json:"profileInForce,omitempty"`
}

func loadGovernance(s store.Store) (*governance, error) {
	k, err := jurisdictionKey(s)
	if err != nil {
		return nil, err
	}
	g, err := load[governance](s, k)
	if err != nil {
		return nil, err
	}
	if g == nil {
		return nil, domain.NotFound(domain.RuleBootstrapped, "channel", "channel %s has no jurisdiction yet: its data authority must bootstrap it first", s.Channel())
	}
	return g, nil
}

func putGovernance(s store.Store, j *domain.Jurisdiction, p *domain.ProfileRecord) error {
	k, err := jurisdictionKey(s)
	if err != nil {
		return err
	}
	return put(s, k, governance{Jurisdiction: *j, ProfileInForce: p})
}

// jurisdiction loads the channel's governance record; nothing else works
// before the channel is bootstrapped.
func (a *App) jurisdiction(s store.Store) (*domain.Jurisdiction, error) {
	g, err := loadGovernance(s)
	if err != nil {
		return nil, err
	}
	return &g.Jurisdiction, nil
}

// Bootstrap records the channel's jurisdiction and adopts its first policy
// profile (a built-in one by name) in the same transaction.
func (a *App) Bootstrap(s store.Store, name, division, profileName string) (*domain.Jurisdiction, error) {
	c, err := a.change(s)
	if err != nil {
		return nil, err
	}
	jk, err := jurisdictionKey(s)
	if err != nil {
		return nil, err
	}
	existing, err := load[domain.Jurisdiction](s, jk)
	if err != nil {
		return nil, err
	}
	c.Action = "bootstrap"
	j, err := domain.NewJurisdiction(existing, s.Channel(), name, division, a.Channels[s.Channel()], c.Actor, c)
	if err != nil {
		return nil, err
	}
	p, ok := domain.BuiltinProfiles()[profileName]
	if !ok {
		return nil, domain.Invalid(domain.RuleProfile, "profile", "%q is not a built-in profile (%v)", truncate(profileName), domain.BuiltinProfileNames())
	}
	rec, err := domain.SetProfile(j, nil, p, "", c)
	if err != nil {
		return nil, err
	}
	pk, _ := s.Key(domain.TypeProfile)
	if err := putGovernance(s, j, rec); err != nil {
		return nil, err
	}
	if err := put(s, pk, rec); err != nil {
		return nil, err
	}
	return j, emit(s, c, changed(domain.TypeJurisdiction, s.Channel(), "bootstrap", "", 1), changed(domain.TypeProfile, s.Channel(), rec.Last.Action, rec.Profile.Name, rec.Version))
}

// SetExchanges records the channel's exchange organizations.
func (a *App) SetExchanges(s store.Store, mspsJSON, reason string) (*domain.Jurisdiction, error) {
	var msps []string
	if err := decodeArg("exchanges", mspsJSON, &msps); err != nil {
		return nil, err
	}
	t, err := a.allowed(s, domain.ActSetExchanges)
	if err != nil {
		return nil, err
	}
	j, c := t.j, t.c
	next, err := domain.SetExchanges(j, msps, reason, c)
	if err != nil {
		return nil, err
	}
	if err := putGovernance(s, next, t.p); err != nil {
		return nil, err
	}
	return next, emit(s, c, changed(domain.TypeJurisdiction, s.Channel(), "set-exchanges", "", 0))
}

// GetJurisdiction reads the channel's governance record.
func (a *App) GetJurisdiction(s store.Store) (*domain.Jurisdiction, error) { return a.jurisdiction(s) }

// SetProfile replaces the channel's policy profile (a full profile as JSON).
func (a *App) SetProfile(s store.Store, profileJSON, reason string) (*domain.ProfileRecord, error) {
	var p domain.Profile
	if err := decodeArg("profile", profileJSON, &p); err != nil {
		return nil, err
	}
	return a.setProfile(s, domain.ActSetProfile, p, reason)
}

// AdoptProfile switches the channel to a built-in profile by name.
func (a *App) AdoptProfile(s store.Store, name, reason string) (*domain.ProfileRecord, error) {
	p, ok := domain.BuiltinProfiles()[name]
	if !ok {
		return nil, domain.Invalid(domain.RuleProfile, "profile", "%q is not a built-in profile (%v)", truncate(name), domain.BuiltinProfileNames())
	}
	return a.setProfile(s, domain.ActAdoptProfile, p, reason)
}

func (a *App) setProfile(s store.Store, act domain.Action, p domain.Profile, reason string) (*domain.ProfileRecord, error) {
	t, err := a.allowed(s, act)
	if err != nil {
		return nil, err
	}
	j, c := t.j, t.c
	pk, _ := s.Key(domain.TypeProfile)
	cur, err := load[domain.ProfileRecord](s, pk)
	if err != nil {
		return nil, err
	}
	rec, err := domain.SetProfile(j, cur, p, reason, c)
	if err != nil {
		return nil, err
	}
	if err := put(s, pk, rec); err != nil {
		return nil, err
	}
	if err := putGovernance(s, j, rec); err != nil {
		return nil, err
	}
	return rec, emit(s, c, changed(domain.TypeProfile, s.Channel(), rec.Last.Action, rec.Profile.Name, rec.Version))
}

// GetProfile reads the channel's policy profile in force.
func (a *App) GetProfile(s store.Store) (*domain.ProfileRecord, error) {
	if _, err := a.jurisdiction(s); err != nil {
		return nil, err
	}
	pk, _ := s.Key(domain.TypeProfile)
	return load[domain.ProfileRecord](s, pk)
}
