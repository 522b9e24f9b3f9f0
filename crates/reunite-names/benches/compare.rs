//! Benchmark of `compare` on prepared names (std::time::Instant; no harness).
//!
//! Run: `cargo bench -p reunite-names --bench compare`

use std::hint::black_box;
use std::time::Instant;

use reunite_names::{PreparedName, compare};

fn rss_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Deterministic pseudo-random generator (xorshift), so runs compare the same names.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[(self.next() % v.len() as u64) as usize]
    }
}

fn main() {
    let before = rss_kib();
    let t0 = Instant::now();
    black_box(PreparedName::new("김 Kim 金 Jin"));
    let init = t0.elapsed();
    let after = rss_kib();

    let sur_h = [
        "김", "이", "리", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오", "서", "신",
    ];
    let giv_h = [
        "영", "정", "자", "순", "철", "수", "미", "희", "성", "민", "호", "은", "경", "일", "숙",
    ];
    let sur_c = ["金", "李", "朴", "崔", "鄭", "姜", "趙", "尹", "張", "林"];
    let giv_c = [
        "英", "正", "子", "順", "哲", "秀", "美", "姬", "成", "民", "浩", "恩", "京", "日",
    ];
    let sur_l = [
        "Kim", "Lee", "Ri", "Park", "Pak", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim",
    ];
    let giv_l = [
        "young", "jong", "ja", "soon", "chol", "su", "mi", "hee", "sung", "min", "ho", "eun", "il",
    ];
    let sur_p = [
        "Jin", "Li", "Piao", "Cui", "Zheng", "Jiang", "Zhao", "Yin", "Zhang", "Lin",
    ];
    let giv_p = [
        "ying", "zheng", "zi", "shun", "zhe", "xiu", "mei", "ji", "cheng", "min", "hao", "en", "ri",
    ];
    let mut rng = Rng(0x9E3779B97F4A7C15);
    let mut texts = Vec::new();
    for i in 0..2000 {
        let t = match i % 4 {
            0 => format!(
                "{}{}{}",
                rng.pick(&sur_h),
                rng.pick(&giv_h),
                rng.pick(&giv_h)
            ),
            1 => format!(
                "{}{}{}",
                rng.pick(&sur_c),
                rng.pick(&giv_c),
                rng.pick(&giv_c)
            ),
            2 => format!(
                "{} {}-{}",
                rng.pick(&sur_l),
                rng.pick(&giv_l),
                rng.pick(&giv_l)
            ),
            _ => format!(
                "{} {}{}",
                rng.pick(&sur_p),
                rng.pick(&giv_p),
                rng.pick(&giv_p)
            ),
        };
        texts.push(t);
    }
    let t1 = Instant::now();
    let names: Vec<PreparedName> = texts.iter().map(|t| PreparedName::new(t)).collect();
    let prep = t1.elapsed();
    let avg_size = names.iter().map(|n| n.size_bytes()).sum::<usize>() / names.len();

    // Each name against a window of 500 others: 1,000,000 comparisons per round.
    let rounds = 3;
    let mut best = f64::MAX;
    let mut checksum = 0u64;
    for _ in 0..rounds {
        let t = Instant::now();
        let mut n = 0u64;
        for (i, a) in names.iter().enumerate() {
            for j in 1..=500 {
                let b = &names[(i + j) % names.len()];
                let c = compare(black_box(a), black_box(b));
                checksum = checksum.wrapping_add(c.level as u64);
                n += 1;
            }
        }
        let secs = t.elapsed().as_secs_f64();
        best = best.min(secs / n as f64);
    }
    // Same-script subsets.
    let mut per_kind = Vec::new();
    for (k, label) in ["hangul", "hanja", "romanized", "pinyin"]
        .iter()
        .enumerate()
    {
        let subset: Vec<&PreparedName> = names.iter().skip(k).step_by(4).collect();
        let t = Instant::now();
        let mut n = 0u64;
        for a in &subset {
            for b in &subset {
                checksum = checksum.wrapping_add(compare(black_box(a), black_box(b)).level as u64);
                n += 1;
            }
        }
        per_kind.push(format!(
            "{label}: {:.1} M/s",
            n as f64 / t.elapsed().as_secs_f64() / 1e6
        ));
    }
    println!(
        "tables: first use {:.1} ms, RSS +{} KiB",
        init.as_secs_f64() * 1e3,
        after.unwrap_or(0).saturating_sub(before.unwrap_or(0))
    );
    println!(
        "prepare: {:.2} µs per name; PreparedName ~{avg_size} bytes on average",
        prep.as_secs_f64() * 1e6 / names.len() as f64
    );
    println!(
        "compare (mixed scripts): {:.1} ns per comparison = {:.2} M comparisons/s (best of {rounds})",
        best * 1e9,
        1e-6 / best
    );
    println!("compare within one script: {}", per_kind.join(", "));
    println!("(checksum {checksum})");
}
