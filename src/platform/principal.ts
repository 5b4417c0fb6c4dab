/** Who is acting on a request: a signed-in user or an API key, always within one organization. */
export type Principal = {
  type: "user" | "api_key";
  /** The user, or the API key, acting. */
  id: string;
  organizationId: string;
  role: "admin" | "supervisor" | "agent";
};
