//! The benchmark's results as tables, the targets, SVG charts and the report section.
//!
//! Everything here is computed from the cells alone, so the terminal, `--json` and BENCHMARKS.md
//! always show the same run.

use benchkit::chart::{grouped_bars, Group};
use benchkit::stats::ratio;
use benchkit::table::{figure, Table};
use benchkit::targets::{self, Target};
use serde::Serialize;

use super::cell::{CellResult, Scenario};

/// A whole run: what was asked, where, and every cell.
#[derive(Debug, Serialize)]
pub struct Run {
    /// The command line that reproduces the run.
    pub command: String,
    pub machine: String,
    pub targets: Vec<String>,
    pub race_window_ms: u64,
    pub ttl_ms: Option<u64>,
    pub seconds: f64,
    pub concurrency: Vec<usize>,
    pub cells: Vec<CellResult>,
    /// Strategies the server could not run here, with its reason (e.g. pg-advisory on SQLite).
    pub skipped: Vec<Skipped>,
    /// Strategies that do not protect the ticket with this many instances (no-lock; local-mutex
    /// over two), by the server's own expected row: their lost updates are the lesson, and a
    /// per-process lock has no single handoff to measure.
    pub unprotected: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Skipped {
    pub strategy: String,
    pub reason: String,
}

/// What `/book-with-lock` runs, and what the no-contention target compares with no-lock.
const WITH_LOCK: &str = "redis";
const NO_LOCK: &str = "no-lock";
/// Handoff efficiency only means something when someone waits: from this many clients on.
const CONTENDED: usize = 16;

impl Run {
    fn cell(&self, strategy: &str, scenario: Scenario, concurrency: usize) -> Option<&CellResult> {
        self.cells.iter().find(|c| {
            c.strategy == strategy && c.scenario == scenario && c.concurrency == concurrency
        })
    }

    fn strategies(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for cell in &self.cells {
            if !names.contains(&cell.strategy.as_str()) {
                names.push(&cell.strategy);
            }
        }
        names
    }

    fn protected(&self, strategy: &str) -> bool {
        !self.unprotected.iter().any(|s| s == strategy)
    }

    /// Every cell booked exactly what the database holds, and every protected strategy left
    /// clean audits.
    pub fn ok(&self) -> bool {
        self.cells
            .iter()
            .all(|c| c.consistent() && (c.clean || !self.protected(&c.strategy)))
    }

    pub fn table(&self, scenario: Scenario) -> Table {
        let mut table = Table::new([
            "strategy",
            "clients",
            "bookings/s",
            "p50 ms",
            "p99 ms",
            "not 201",
            "vs no-lock",
            "lock held ms",
            "handoff",
            "audit",
        ]);
        for cell in self.cells.iter().filter(|c| c.scenario == scenario) {
            let baseline = self.cell(NO_LOCK, scenario, cell.concurrency);
            let vs = baseline
                .and_then(|b| ratio(cell.throughput, b.throughput))
                .map_or("-".into(), |r| format!("{}×", figure(r)));
            let audit = match (cell.consistent(), cell.clean) {
                (false, _) => format!(
                    "DATABASE HAS {} BOOKINGS FOR {} 201s",
                    cell.db_booked, cell.booked
                ),
                (true, true) => "clean".to_string(),
                (true, false) if self.protected(&cell.strategy) => "LOST UPDATES".to_string(),
                (true, false) => "lost updates (unprotected here)".to_string(),
            };
            table.row([
                cell.strategy.clone(),
                cell.concurrency.to_string(),
                figure(cell.throughput),
                format!("{:.2}", cell.p50_ms),
                format!("{:.2}", cell.p99_ms),
                cell.errors().to_string(),
                vs,
                cell.mean_hold_ms.map_or("-".into(), |h| format!("{h:.2}")),
                cell.handoff_efficiency
                    .map_or("-".into(), |e| format!("{e:.2}")),
                audit,
            ]);
        }
        table
    }

    /// The targets that this run measured.
    pub fn targets(&self) -> Vec<Target> {
        let mut goals = Vec::new();
        for cell in &self.cells {
            if let (Scenario::Hot, Some(e)) = (cell.scenario, cell.handoff_efficiency) {
                if cell.concurrency >= CONTENDED && self.protected(&cell.strategy) {
                    goals.push(Target {
                        what: format!(
                            "hot event, {}, {} clients: handoff efficiency",
                            cell.strategy, cell.concurrency
                        ),
                        at_least: 0.7,
                        unit: "",
                        rounds: vec![e],
                    });
                }
            }
        }
        for &c in &self.concurrency {
            let with = self.cell(WITH_LOCK, Scenario::NoContention, c);
            let without = self.cell(NO_LOCK, Scenario::NoContention, c);
            if let (Some(with), Some(without)) = (with, without) {
                goals.push(Target {
                    what: format!(
                        "no contention, {c} clients: with-lock ({WITH_LOCK}) vs no-lock throughput"
                    ),
                    at_least: 0.5,
                    unit: "×",
                    rounds: ratio(with.throughput, without.throughput)
                        .into_iter()
                        .collect(),
                });
            }
        }
        goals
    }

    /// Bookings per second, one group per strategy and one bar per concurrency.
    pub fn chart(&self, scenario: Scenario) -> Result<String, String> {
        let series: Vec<String> = self.concurrency.iter().map(|&c| clients(c)).collect();
        let groups: Vec<Group> = self
            .strategies()
            .into_iter()
            .map(|strategy| Group {
                label: strategy.to_string(),
                values: self
                    .concurrency
                    .iter()
                    .map(|&c| self.cell(strategy, scenario, c).map(|cell| cell.throughput))
                    .collect(),
            })
            .collect();
        grouped_bars(
            &format!("Bookings per second, {}", scenario.title()),
            "bookings/s",
            &series,
            &groups,
        )
    }

    /// The "strategies" section of BENCHMARKS.md; `charts` are (scenario, link) pairs.
    pub fn markdown(&self, charts: &[(Scenario, String)]) -> String {
        let mut out = format!(
            "## What each strategy costs (test_concurrent bench)\n\n\
             Reproduce: `{}`\n\n\
             Machine: {}. Targets: {}. Race window {} ms (the lock is what is measured), lock TTL \
             {}, {} s per cell. Each client books in a loop, the next request leaving when the \
             last is answered. *not 201* counts every other answer; *lock held ms* is the mean of \
             `released_ms − lock_acquired_ms` from each answer's trace; *handoff* = lock holds per \
             second × mean hold time, the share of the time the lock was held (1.0: never idle \
             while someone waits). *audit* is the database's: its booking count equals the 201s \
             counted by the client in every cell marked clean or lost updates; lost updates are \
             expected only where the server's own table says the strategy does not protect the \
             ticket with this many instances ({}).\n",
            self.command,
            self.machine,
            self.targets.join(", "),
            self.race_window_ms,
            self.ttl_ms
                .map_or("the server's default".to_string(), |t| format!("{t} ms")),
            self.seconds,
            self.unprotected.join(", "),
        );
        for scenario in [Scenario::Hot, Scenario::NoContention] {
            if self.cells.iter().all(|c| c.scenario != scenario) {
                continue;
            }
            out.push_str(&format!(
                "\n### {}\n\n{}",
                capitalised(scenario.title()),
                self.table(scenario).to_markdown()
            ));
            if let Some((_, link)) = charts.iter().find(|(s, _)| *s == scenario) {
                out.push_str(&format!(
                    "\n![Bookings per second, {}]({link})\n",
                    scenario.title()
                ));
            }
        }
        for skipped in &self.skipped {
            out.push_str(&format!(
                "\n{} was not measured: {}\n",
                skipped.strategy, skipped.reason
            ));
        }
        let goals = self.targets();
        if !goals.is_empty() {
            out.push_str(&format!(
                "\n### Targets\n\n{}",
                targets::table(&goals).to_markdown()
            ));
        }
        out
    }
}

/// "1 client", "16 clients".
fn clients(n: usize) -> String {
    match n {
        1 => "1 client".to_string(),
        n => format!("{n} clients"),
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use oversold_api::Tally;

    fn cell(
        strategy: &str,
        scenario: Scenario,
        concurrency: usize,
        throughput: f64,
        handoff: Option<f64>,
    ) -> CellResult {
        CellResult {
            strategy: strategy.into(),
            scenario,
            concurrency,
            events: vec![1],
            seconds: 1.0,
            requests: throughput as usize,
            booked: throughput as usize,
            db_booked: throughput as i64,
            throughput,
            p50_ms: 1.0,
            p99_ms: 2.0,
            mean_hold_ms: handoff.map(|_| 0.5),
            handoff_efficiency: handoff,
            clean: true,
            answers: Tally::default(),
        }
    }

    fn run() -> Run {
        Run {
            command: "test_concurrent bench --seconds 1".into(),
            machine: "EPYC, 2 cores".into(),
            targets: vec!["http://127.0.0.1:8080".into()],
            race_window_ms: 0,
            ttl_ms: None,
            seconds: 1.0,
            concurrency: vec![1, 16],
            cells: vec![
                cell("no-lock", Scenario::Hot, 1, 1000.0, None),
                cell("no-lock", Scenario::Hot, 16, 2000.0, None),
                cell("redis", Scenario::Hot, 1, 500.0, Some(0.2)),
                cell("redis", Scenario::Hot, 16, 800.0, Some(0.75)),
                cell("no-lock", Scenario::NoContention, 16, 2000.0, None),
                cell("redis", Scenario::NoContention, 16, 900.0, None),
            ],
            skipped: vec![Skipped {
                strategy: "pg-advisory".into(),
                reason: "needs postgres".into(),
            }],
            unprotected: vec!["no-lock".into()],
        }
    }

    #[test]
    fn each_row_is_compared_with_no_lock_at_the_same_concurrency() {
        let text = run().table(Scenario::Hot).to_markdown();
        let redis_16 = text
            .lines()
            .find(|l| l.starts_with("| redis") && l.contains("|      16 |"))
            .unwrap();
        assert!(redis_16.contains("0.400×"), "{redis_16}");
        assert!(redis_16.contains("0.75"), "{redis_16}");
        assert!(redis_16.contains("clean"), "{redis_16}");
    }

    #[test]
    fn targets_cover_contended_handoff_and_the_no_contention_ratio() {
        let goals = run().targets();
        let whats: Vec<&str> = goals.iter().map(|g| g.what.as_str()).collect();
        assert_eq!(
            whats,
            [
                "hot event, redis, 16 clients: handoff efficiency",
                "no contention, 16 clients: with-lock (redis) vs no-lock throughput",
            ]
        );
        assert_eq!(goals[0].met(), Some(true));
        assert_eq!(goals[1].median(), Some(0.45));
        assert_eq!(goals[1].met(), Some(false));
    }

    #[test]
    fn a_cell_whose_database_disagrees_fails_the_run_and_says_so() {
        let mut run = run();
        assert!(run.ok());
        run.cells[2].db_booked += 1;
        assert!(!run.ok());
        assert!(run
            .table(Scenario::Hot)
            .to_markdown()
            .contains("DATABASE HAS 501 BOOKINGS FOR 500 201s"));
        // Lost updates are the lesson of no-lock, not a failure; in a protected strategy they are.
        let mut run = self::run();
        run.cells[0].clean = false;
        assert!(run.ok());
        run.cells[2].clean = false;
        assert!(!run.ok());
        let table = run.table(Scenario::Hot).to_markdown();
        assert!(
            table.contains("lost updates (unprotected here)") && table.contains("LOST UPDATES"),
            "{table}"
        );
    }

    #[test]
    fn an_unprotected_strategy_has_no_handoff_target() {
        let mut run = run();
        run.unprotected.push("redis".into());
        assert!(run.targets().iter().all(|t| !t.what.contains("handoff")));
    }

    #[test]
    fn the_section_has_the_command_the_machine_the_tables_the_charts_and_the_targets() {
        let charts = vec![(Scenario::Hot, "docs/bench/strategies-hot.svg".to_string())];
        let text = run().markdown(&charts);
        for part in [
            "Reproduce: `test_concurrent bench --seconds 1`",
            "Machine: EPYC, 2 cores",
            "### One hot event",
            "### No contention (an event per client)",
            "![Bookings per second, one hot event](docs/bench/strategies-hot.svg)",
            "pg-advisory was not measured: needs postgres",
            "### Targets",
        ] {
            assert!(text.contains(part), "{part:?} missing from:\n{text}");
        }
    }

    #[test]
    fn the_chart_has_a_bar_per_strategy_and_concurrency() {
        let svg = run().chart(Scenario::Hot).unwrap();
        for label in [
            "no-lock",
            "redis",
            "1 client",
            "16 clients",
            "one hot event",
        ] {
            assert!(svg.contains(label), "{label}");
        }
    }
}
