package domain

import (
	"fmt"
	"regexp"
	"strings"
)

// Pricing (定价与收费): the regulations price public-data products by their
// use — for public governance and public-good use, free on conditions
// (有条件无偿: ZW 24, GD 29, NS 23); for industry, a government-guided
// price (GD 29: 确需收费的，实行政府指导定价管理), cost and a small profit
// (ZW 14: 保本微利), a fee the service agreement sets (NS 23), the national
// price policy (GX 7(7)) or a reasonable price under guidance (HB 29). The
// profile's `pricing` says which bases each use allows; a fee schedule
// (an obligation kind with `fees`, GD 35's) files its items — product,
// use, basis and, where a fee is charged, the capped price and its unit —
// each judged by that rule, and a public kind discloses them.

// RuleFee refuses a fee item that does not hold together, or items filed
// for a kind that takes none; a basis its profile does not allow for the
// use cites the profile's article (pricing.cite).
const RuleFee = "DL-FEE"

// Uses of a product (用途).
const (
	UsePublicGood = "public_good" // 公共治理、公益事业
	UseCommercial = "commercial"  // 产业发展、行业发展
)

// Pricing bases (定价方式).
var PricingBases = map[string]string{
	"free":              "无偿",
	"government_guided": "政府指导价",
	"cost_plus":         "保本微利（成本加合理利润）",
	"agreed":            "协议约定",
	"market":            "市场调节价",
}

// BasisFree charges nothing: no cap, no unit.
const BasisFree = "free"

// MaxFeeItems bounds a schedule's items.
const MaxFeeItems = 200

// PricingRule is a profile's pricing: the bases each use allows, and the
// article.
type PricingRule struct {
	PublicGood []string `json:"publicGood"`
	Commercial []string `json:"commercial"`
	Cite       string   `json:"cite"`
}

// FeeItem is one product or service of a fee schedule (产品和服务清单及收费标准).
type FeeItem struct {
	Product string `json:"product"` // its name, or its registration number (登记号)
	Use     string `json:"use"`
	Basis   string `json:"basis"`
	// Cap is the highest price charged, in yuan ("1200", "0.05"), and
	// Unit what it is charged per (每次调用, 每月); none for a free item.
	Cap  string `json:"cap,omitempty"`
	Unit string `json:"unit,omitempty"`
}

var yuan = regexp.MustCompile(`^(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?$`)

// validate checks the rule holds together (Profile.Validate).
func (r *PricingRule) validate() error {
	if r == nil {
		return nil
	}
	for _, use := range []struct {
		field string
		bases []string
	}{{"pricing.publicGood", r.PublicGood}, {"pricing.commercial", r.Commercial}} { // in order: the same refusal on every peer
		field, bases := use.field, use.bases
		if len(bases) == 0 {
			return Invalid(RuleProfile, field, "name the pricing bases the use allows (%s)", joinSorted(PricingBases))
		}
		for i, b := range bases {
			if _, ok := PricingBases[b]; !ok {
				return Invalid(RuleProfile, fmt.Sprintf("%s[%d]", field, i), "%q is not a pricing basis (%s)", truncate(b, 32), joinSorted(PricingBases))
			}
		}
	}
	if !citationValue.MatchString(r.Cite) {
		return Invalid(RuleProfile, "pricing.cite", "%q is not an article reference like GD-29", truncate(r.Cite, 32))
	}
	return nil
}

// bases are the pricing bases the rule allows for use (nil: any, where
// the profile sets no rule); ok false for a use that is neither.
func (r *PricingRule) bases(use string) (allowed []string, ok bool) {
	if use != UsePublicGood && use != UseCommercial {
		return nil, false
	}
	if r == nil {
		return nil, true
	}
	if use == UsePublicGood {
		return r.PublicGood, true
	}
	return r.Commercial, true
}

// CheckFees judges a filing's fee items under the profile: a kind with
// fees files at least one, each of a use and a basis the profile's
// pricing allows for it (any basis where it sets none), a capped price
// and its unit unless it is free; a kind without fees files none.
func CheckFees(p Profile, k ObligationKind, items []FeeItem) error {
	if !k.Fees {
		if len(items) > 0 {
			return Invalid(RuleFee, "fees", "a %s files no fee items", k.Kind)
		}
		return nil
	}
	if len(items) == 0 || len(items) > MaxFeeItems {
		return Invalid(RuleFee, "fees", "a %s lists its products and services with their fees: 1 to %d items (%s)", k.Kind, MaxFeeItems, k.Cite)
	}
	seen := map[string]bool{}
	for i, it := range items {
		f := fmt.Sprintf("fees[%d]", i)
		if err := ValidateText(f+".product", it.Product, MaxName); err != nil {
			return err
		}
		allowed, ok := p.Pricing.bases(it.Use)
		if !ok {
			return Invalid(RuleFee, f+".use", "%q is not public_good (公共治理、公益事业) or commercial (产业发展、行业发展)", truncate(it.Use, 32))
		}
		if _, ok := PricingBases[it.Basis]; !ok {
			return Invalid(RuleFee, f+".basis", "%q is not a pricing basis (%s)", truncate(it.Basis, 32), joinSorted(PricingBases))
		}
		if allowed != nil && !contains(allowed, it.Basis) {
			return Invalid(p.Pricing.Cite, f+".basis", "a product for %s use is priced %v under %s, not %s", it.Use, allowed, p.Pricing.Cite, it.Basis)
		}
		if it.Basis == BasisFree {
			if it.Cap != "" || it.Unit != "" {
				return Invalid(RuleFee, f+".cap", "a free item has no price or unit")
			}
		} else {
			if !yuan.MatchString(it.Cap) || strings.Trim(strings.Replace(it.Cap, ".", "", 1), "0") == "" {
				return Invalid(RuleFee, f+".cap", "the highest price in yuan, more than 0 with at most 2 decimals (e.g. 1200 or 0.05), got %q", truncate(it.Cap, 20))
			}
			if err := ValidateText(f+".unit", it.Unit, 32); err != nil {
				return err
			}
		}
		if seen[it.Product+"/"+it.Use] {
			return Invalid(RuleFee, f+".product", "%s for %s use is listed twice", it.Product, it.Use)
		}
		seen[it.Product+"/"+it.Use] = true
	}
	return nil
}
