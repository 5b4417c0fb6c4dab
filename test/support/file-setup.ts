// Runs around every test file (vitest setupFiles).
import { afterAll, afterEach, beforeEach } from "vitest";
import { compareWithDrizzle } from "@/db/compile-sql";
import { closeDatabases } from "./db";
import { fileEnded, testEnded, testStarted } from "./leftover-jobs";

beforeEach(testStarted);
afterEach(testEnded);
afterAll(async () => {
  await fileEnded();
  await closeDatabases();
});

// Every statement the tests run is compiled by drizzle too, and a difference fails the test.
compareWithDrizzle(true);
