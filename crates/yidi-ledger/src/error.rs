//! Operating errors of the ledger: input the hub must refuse, each naming what is at fault.
//! A broken invariant (an unbalanced posting from a constructor) is a panic instead.

use yidi_domain::Fen;

use crate::account::{AccountError, Fund, Pair};
use crate::month::Month;
use crate::posting::PostingProblem;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("{month} 已清算关账，{reference} 不能记入该月（已清算月份的拒付请改为追回）")]
    ClosedMonth { month: Month, reference: String },
    #[error("{reference} 所属月份 {origin} 尚未清算，应记为拒付而非追回")]
    RecoveryOfOpenMonth { origin: Month, reference: String },
    #[error("{month} 已经关账")]
    MonthAlreadyClosed { month: Month },
    #[error("{open} 尚未关账，不能先关 {month}")]
    EarlierMonthOpen { open: Month, month: Month },
    #[error("{month} 尚未清算关账")]
    NotClosed { month: Month },
    #[error("{month} 的清算中没有省份对 {pair}")]
    PairNotInPeriod { pair: Pair, month: Month },
    #[error("{pair} 的 {month} 清算款已记账")]
    AlreadyPaid { pair: Pair, month: Month },
    #[error("{pair} 的 {month} 清算付款与冻结的清算单不一致")]
    PaymentMismatch { pair: Pair, month: Month },
    #[error("{reference} 不可冲销（银行付款不冲销，应重新支付）")]
    NotReversible { reference: String },
    #[error("{reference} 不是结算记账，不能据以拒付或追回")]
    NotASettlement { reference: String },
    #[error("{reference} 基金 {fund} 拒付/追回 {amount} 超过结算金额 {settled}")]
    ExceedsSettlement { reference: String, fund: Fund, amount: Fen, settled: Fen },
    #[error("{reference} 金额为零或为负")]
    NothingToPost { reference: String },
    #[error("{reference} 的拒付时间早于结算所属月份")]
    BeforeSettlement { reference: String },
    #[error("业务参考号“{0}”为空或超过 64 字节")]
    Reference(String),
    #[error("{pair} 的包干人数或人月定额超出范围")]
    LumpSum { pair: Pair },
    #[error("预付金参数无效：{0}")]
    PrepaymentConfig(String),
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error("记账 {reference} 格式错误：{problem}")]
    Posting { reference: String, problem: PostingProblem },
}
