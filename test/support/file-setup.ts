// Runs around every test file (vitest setupFiles).
import { afterAll } from "vitest";
import { compareWithDrizzle } from "@/db/compile-sql";
import { closeDatabases } from "./db";

afterAll(closeDatabases);

// Every statement the tests run is compiled by drizzle too, and a difference fails the test.
compareWithDrizzle(true);
