/** The password of every test user, seeded or registered. */
export const PASSWORD = "correct horse battery staple";
