//! The seeded money calls the journal's crash and fleet tests drive, shared by the test and
//! its worker processes.

/// What one planned call does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Midas 1.0 `present`.
    V1Present,
    /// Midas 1.0 `pay`.
    V1Pay,
    /// Midas 2.0 `present` (signed with the player's session key).
    V2Present,
}

/// One planned call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedCall {
    /// The service's own id of the call: the order id derives from it.
    pub business_id: String,
    /// What the call does.
    pub kind: Kind,
    /// The player.
    pub openid: String,
    /// Coins moved.
    pub amount: i64,
}

/// The players of a plan, each with a session key and a large balance.
pub fn players(count: usize) -> Vec<(String, String)> {
    (0..count).map(|n| (format!("crash-player-{n}"), format!("session-key-{n}"))).collect()
}

/// `count` calls drawn from `seed` over `players` players.
pub fn plan(seed: u64, count: usize, players: usize) -> Vec<PlannedCall> {
    let mut state = seed;
    (0..count)
        .map(|index| {
            let draw = splitmix(&mut state);
            let kind = match draw % 3 {
                0 => Kind::V1Present,
                1 => Kind::V1Pay,
                _ => Kind::V2Present,
            };
            let player = usize::try_from((draw >> 8) % players.max(1) as u64).unwrap_or(0);
            PlannedCall {
                business_id: format!("call-{seed}-{index}"),
                kind,
                openid: format!("crash-player-{player}"),
                amount: i64::try_from((draw >> 20) % 9 + 1).unwrap_or(1),
            }
        })
        .collect()
}

/// The next value of a splitmix64 sequence.
pub fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
