//! `yidi ledger verify --db PATH`: proves the stored books hold. Every posting is read back and
//! checked as a constructor builds it, replayed through `yidi_ledger::verify` (Σ debits = Σ
//! credits, every rolled-up balance equal to the sum of its entries, receivables offset by
//! payables), and matched with the settlements: each live cross-province settlement has exactly
//! one net settlement posting, each cancelled one its reversal, and same-province care none.
//! Exit 0 only when all holds; 1 otherwise, every problem listed.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use yidi_domain::{DivisionCode, Fen, Pack};
use yidi_hub::books::posting_of_record;
use yidi_ledger::{Ledger, Posting, PostingKind, Sense};
use yidi_store::{SettlementRecord, SettlementStatus, Snapshot, Store};

use crate::db;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// 核对账簿：借贷平衡、余额等于分录合计、每笔结算恰有一笔记账 / verify the books.
    Verify(VerifyArgs),
}

#[derive(clap::Args)]
struct VerifyArgs {
    /// 数据库文件 / database file
    #[arg(long)]
    db: PathBuf,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    match &args.command {
        Command::Verify(v) => verify(v),
    }
}

fn verify(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    verify_db(&args.db)
}

/// `yidi ledger verify --db PATH` (also run by `yidi demo-month clear --db`).
pub(crate) fn verify_db(db_path: &std::path::Path) -> anyhow::Result<ExitCode> {
    if !db_path.exists() {
        anyhow::bail!("数据库 {} 不存在 / database not found", db_path.display());
    }
    let store = db::open_store(db_path)?;
    let snapshot = store.load().context("无法读取数据库")?;
    let pack = match db::stored_pack(store.as_ref(), db_path)? {
        Some(Ok(pack)) => Some(pack),
        Some(Err(code)) => return Ok(code),
        None => None,
    };
    let mut problems = Vec::new();
    let postings = read_postings(&snapshot, &mut problems);
    let closings = yidi_hub::ledger_closings(&snapshot.funds_events).unwrap_or_else(|e| {
        problems.push(e);
        Vec::new()
    });
    let ledger = roll_up(&postings, &closings, &mut problems);
    // Every frozen month's statements are still exactly what its postings say.
    for closing in &closings {
        if let Some(period) = ledger.period(closing.month)
            && let Err(found) = yidi_ledger::verify_period(postings.iter().map(|(_, p)| p), period)
        {
            problems.extend(found.iter().map(ToString::to_string));
        }
    }
    if let Err(found) = yidi_ledger::verify(postings.iter().map(|(_, p)| p), &ledger.balances()) {
        problems.extend(found.iter().map(ToString::to_string));
    }
    check_settlements(&snapshot.settlements, &postings, pack.as_ref(), &mut problems);
    let (debits, count) = ledger.totals();
    let accounts = ledger.balances().len();
    if problems.is_empty() {
        println!(
            "账簿核对通过 / books verified: {count} 笔记账 / postings, {accounts} 个账户 / accounts, \
             借方合计 / total debits {debits} 元, 借贷平衡 / debits = credits"
        );
        return Ok(ExitCode::SUCCESS);
    }
    for p in &problems {
        eprintln!("问题 / problem: {p}");
    }
    eprintln!(
        "账簿核对未通过 / books do NOT verify: {} 个问题 / problems ({} 笔记账 / postings, {accounts} 个账户 / accounts)",
        problems.len(),
        snapshot.postings.len()
    );
    Ok(ExitCode::from(1))
}

/// Every stored posting that reads back well formed, with its id; the others become problems.
fn read_postings(snapshot: &Snapshot, problems: &mut Vec<String>) -> Vec<(u64, Posting)> {
    let mut out = Vec::with_capacity(snapshot.postings.len());
    for r in &snapshot.postings {
        match posting_of_record(r) {
            Ok(p) => out.push((r.posting_id, p)),
            Err(e) => problems.push(e),
        }
    }
    out
}

/// The balances as the hub rolls them up at start: in posting order, each month closed where its
/// `clearing.freeze` event says (a clearing payment is admitted only after its month closed).
fn roll_up(
    postings: &[(u64, Posting)],
    closings: &[yidi_hub::LedgerClosing],
    problems: &mut Vec<String>,
) -> Ledger {
    let mut ledger = Ledger::new();
    let mut next = closings.iter().peekable();
    let close = |ledger: &mut Ledger, c: &yidi_hub::LedgerClosing, problems: &mut Vec<String>| {
        if let Err(e) = ledger.close_month(c.month, &c.config) {
            problems.push(format!("关账 {}：{e}", c.month));
        }
    };
    for (id, p) in postings {
        while let Some(c) = next.next_if(|c| c.posting_seq <= *id) {
            close(&mut ledger, c, problems);
        }
        if let Err(e) = ledger.post(p) {
            problems.push(format!("记账 #{id}（{}）：{e}", p.reference()));
        }
    }
    for c in next {
        close(&mut ledger, c, problems);
    }
    if ledger.trial_balance() != Fen::ZERO {
        problems.push(format!("试算余额 {} 不为零 / trial balance is not zero", ledger.trial_balance()));
    }
    ledger
}

/// Net settlement postings per `setl_id` (normal +1, reversal −1) and how many there were.
fn settlement_postings(postings: &[(u64, Posting)]) -> BTreeMap<&str, (i64, usize)> {
    let mut by_setl: BTreeMap<&str, (i64, usize)> = BTreeMap::new();
    for (_, p) in postings.iter().filter(|(_, p)| matches!(p.kind(), PostingKind::Settlement { .. })) {
        let entry = by_setl.entry(p.reference()).or_default();
        entry.0 += if p.sense() == Sense::Normal { 1 } else { -1 };
        entry.1 += 1;
    }
    by_setl
}

fn check_settlements(
    settlements: &[SettlementRecord],
    postings: &[(u64, Posting)],
    pack: Option<&Pack>,
    problems: &mut Vec<String>,
) {
    let mut by_setl = settlement_postings(postings);
    for st in settlements {
        let (net, count) = by_setl.remove(st.setl_id.as_str()).unwrap_or((0, 0));
        let live = st.status == SettlementStatus::Settled;
        let cross = match cross_province(st, pack) {
            Some(cross) => cross,
            // Unknown person or no pack: postings, if any, say it was cross-province.
            None if count > 0 => true,
            None => {
                problems.push(format!("结算 {} 无记账，且无法判断是否跨省（数据包中无参保人）", st.setl_id));
                continue;
            }
        };
        let expected = i64::from(cross && live);
        if net != expected || (cross && !live && count == 0) || (!cross && count > 0) {
            problems.push(format!(
                "结算 {}（{}，{}）的结算记账净笔数为 {net}（共 {count} 笔），应为 {expected}",
                st.setl_id,
                if live { "有效" } else { "已撤销" },
                if cross { "跨省" } else { "省内" },
            ));
        }
    }
    for (setl_id, (_, count)) in by_setl {
        problems.push(format!("记账引用了不存在的结算 {setl_id}（{count} 笔）"));
    }
}

/// Whether the settlement's insured and treatment provinces differ, from the pack's person.
fn cross_province(st: &SettlementRecord, pack: Option<&Pack>) -> Option<bool> {
    let insured = pack?.persons.get(&st.psn_no)?.person.insuplc.province();
    let treatment = DivisionCode::parse(&st.clr_optins).ok()?.province();
    Some(insured != treatment)
}
