// Placeholder replaced by the database template setup (see test/support/database.ts).
export default async function globalSetup(): Promise<void> {}
