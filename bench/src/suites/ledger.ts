/**
 * The ledger suite: transfers appended to the in-memory, hash-chained journal, and journals
 * verified from scratch. The anchor is the floor under both: a bare SHA-256 chain over messages of
 * the same size (what any hash-chained journal must pay per entry), with no validation, balances
 * or storage.
 */

import { Ledger, verifyJournal } from "@ledgerquest/engine";
import { sha256 } from "@noble/hashes/sha2.js";
import type { Subject, Suite } from "../harness.js";

const PLAYERS = 1000;
const VERIFY_SIZE = 10_000;

/** A world's economy at play: mints to wallets, player-to-player payments, burns. */
function fundedLedger(): Ledger {
  const ledger = new Ledger(["gold"]);
  for (let p = 0; p < PLAYERS; p++) ledger.openWallet(`player_${p}`, "gold");
  return ledger;
}

function transferAt(i: number) {
  const p = i % PLAYERS;
  // Two in three transfers mint (pickups), one in three moves gold between players.
  if (i % 3 !== 2) {
    return {
      id: `tick:${i >> 4}:${i & 15}`,
      debit: "mint:gold",
      credit: `player_${p}:gold`,
      amount: 5,
      unit: "gold",
      reason: "pickup",
      tick: i >> 4,
    };
  }
  return {
    id: `tick:${i >> 4}:${i & 15}`,
    // The payer was credited by the transfer just before: it never runs short.
    debit: `player_${(p + PLAYERS - 1) % PLAYERS}:gold`,
    credit: `player_${p}:gold`,
    amount: 1,
    unit: "gold",
    reason: "trade",
    tick: i >> 4,
  };
}

function appender(): Subject {
  const ledger = fundedLedger();
  const opened = ledger.journal.length;
  let i = 0;
  let created = 0;
  return {
    run() {
      if (ledger.transfer(transferAt(i++)) === "created") created++;
    },
    // Every transfer was created and journaled.
    checksum: () => [i - created, ledger.journal.length - opened - created],
  };
}

function chainAnchor(): Subject {
  // One SHA-256 per entry over 32 bytes of previous hash plus a ~90-byte body, as the ledger hashes.
  const message = new Uint8Array(32 + 90).fill(7);
  let head = new Uint8Array(32);
  let n = 0;
  return {
    run() {
      message.set(head, 0);
      message[40] = n & 255;
      head = sha256(message);
      n++;
    },
    checksum: () => [0, 0],
  };
}

function verifier(): Subject {
  const ledger = fundedLedger();
  for (let i = 0; ledger.journal.length < VERIFY_SIZE; i++) ledger.transfer(transferAt(i));
  const journal = ledger.journal;
  let ok = 0;
  return {
    run() {
      if (verifyJournal(journal, (id) => ledger.balance(id)).ok) ok++;
    },
    checksum: () => [journal.length, ok > 0 ? 1 : 0],
  };
}

function verifyAnchor(): Subject {
  const message = new Uint8Array(32 + 90).fill(7);
  return {
    run() {
      let head = new Uint8Array(32);
      for (let n = 0; n < VERIFY_SIZE; n++) {
        message.set(head, 0);
        head = sha256(message);
      }
    },
    checksum: () => [VERIFY_SIZE, 1],
  };
}

export const suite: Suite = {
  name: "ledger",
  description:
    "Ledger: transfers appended to the hash-chained journal, and journals verified, against a bare SHA-256 chain",
  oursName: "LedgerQuest",
  anchorName: "SHA-256 chain",
  notes: () => [
    `append_1: one op is one transfer (validated, posted, hashed, journaled); ops/s is transfers/s. verify_10k: one op verifies a journal of ${VERIFY_SIZE.toLocaleString("en-US")} entries (chain, hashes, every entry's validity, held balances, Merkle root, unit sums); entries/s = ops/s x ${VERIFY_SIZE.toLocaleString("en-US")}.`,
    "Target: at least 200,000 transfers/s appended and verified on one core.",
  ],
  scenarios: [
    {
      name: "append_1",
      description:
        "append one transfer (2/3 mints to wallets, 1/3 player-to-player) to a growing journal",
      ours: { create: appender },
      anchor: { create: chainAnchor },
      expected: () => [0, 0],
    },
    {
      name: "verify_10k",
      description: `verify a journal of ${VERIFY_SIZE.toLocaleString("en-US")} entries from scratch`,
      ours: { create: verifier },
      anchor: { create: verifyAnchor },
      expected: () => [VERIFY_SIZE, 1],
    },
  ],
};
