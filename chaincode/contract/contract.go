package contract

import (
	"encoding/json"
	"strconv"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

// Contract exposes App as Fabric transactions. Every method returns JSON.
type Contract struct {
	contractapi.Contract
	App *App
}

// New builds the chaincode with the deployment's channel authorities.
func New(authorities map[string]string) (*contractapi.ContractChaincode, error) {
	c := &Contract{App: &App{Authorities: authorities}}
	c.Name = "dataledger"
	c.Info.Title = "dataledger"
	c.Info.Version = "1"
	cc, err := contractapi.NewChaincode(c)
	if err != nil {
		return nil, err
	}
	cc.DefaultContract = c.Name
	return cc, nil
}

func st(ctx contractapi.TransactionContextInterface) store.Store {
	return store.NewStub(ctx.GetStub(), ctx.GetClientIdentity())
}

func out(v any, err error) (string, error) {
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(v)
	return string(b), err
}

func (c *Contract) Bootstrap(ctx contractapi.TransactionContextInterface, name, divisionCode, profile string) (string, error) {
	return out(c.App.Bootstrap(st(ctx), name, divisionCode, profile))
}

func (c *Contract) GetJurisdiction(ctx contractapi.TransactionContextInterface) (string, error) {
	return out(c.App.GetJurisdiction(st(ctx)))
}

func (c *Contract) SetProfile(ctx contractapi.TransactionContextInterface, profileJSON, reason string) (string, error) {
	return out(c.App.SetProfile(st(ctx), profileJSON, reason))
}

func (c *Contract) AdoptProfile(ctx contractapi.TransactionContextInterface, name, reason string) (string, error) {
	return out(c.App.AdoptProfile(st(ctx), name, reason))
}

func (c *Contract) GetProfile(ctx contractapi.TransactionContextInterface) (string, error) {
	return out(c.App.GetProfile(st(ctx)))
}

func (c *Contract) RegisterParty(ctx contractapi.TransactionContextInterface, partyJSON string) (string, error) {
	return out(c.App.RegisterParty(st(ctx), partyJSON))
}

func (c *Contract) ChangePartyStatus(ctx contractapi.TransactionContextInterface, creditCode, action, reason string) (string, error) {
	return out(c.App.ChangePartyStatus(st(ctx), creditCode, action, reason))
}

func (c *Contract) GetParty(ctx contractapi.TransactionContextInterface, creditCode string) (string, error) {
	return out(c.App.GetParty(st(ctx), creditCode))
}

func (c *Contract) ListParties(ctx contractapi.TransactionContextInterface, pageSize, bookmark string) (string, error) {
	n, err := strconv.ParseInt(pageSize, 10, 32)
	if err != nil {
		return "", domain.Invalid(RulePageSize, "pageSize", "must be a whole number, got %q", truncate(pageSize))
	}
	return out(c.App.ListParties(st(ctx), int32(n), bookmark))
}

func (c *Contract) History(ctx contractapi.TransactionContextInterface, recordType, key string) (string, error) {
	return out(c.App.History(st(ctx), recordType, key))
}

// Ping writes nothing and returns the transaction time: submitting it
// proves the channel orders and commits (readiness after a restart).
func (c *Contract) Ping(ctx contractapi.TransactionContextInterface) (string, error) {
	now, err := st(ctx).Now()
	if err != nil {
		return "", err
	}
	return now.Format("2006-01-02T15:04:05.000000000Z07:00"), nil
}
