// Some npm packages ship .go files. A go.mod inside node_modules makes the Go
// tool treat the folder as another module, so `go build ./...` and `go vet ./...`
// at the repository root never look inside it.
import { existsSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules');
if (existsSync(dir)) writeFileSync(join(dir, 'go.mod'), 'module ignored/node_modules\n');
