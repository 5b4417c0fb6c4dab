// Runs around every test file (vitest setupFiles).
import { afterAll } from "vitest";
import { closeDatabases } from "./db";

afterAll(closeDatabases);
