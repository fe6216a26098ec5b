// The API tier's hooks start an app and build tenants: jest's 5 s is too little on a busy 2-core box.
jest.setTimeout(30_000);
