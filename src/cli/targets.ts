// The simulation targets the `distkit` command knows without `--import`. A module that ships a
// scenario exports a SimTarget and gets a line here.
import { echoTarget, naiveLeaderTarget, registerSimTarget, type SimTarget } from '../sim/index.js';

export const builtInTargets: readonly SimTarget[] = [echoTarget, naiveLeaderTarget];

export function registerBuiltInTargets(): void {
  for (const t of builtInTargets) registerSimTarget(t.name, t.build, t);
}
