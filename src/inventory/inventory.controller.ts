import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, Roles } from '../auth/principal';
import { ApiErrors } from '../common/api-errors.decorator';
import { ListQueryDto, resolveListQuery } from '../common/list-query';
import {
  CreateDataCenterDto,
  CreateExternalIpDto,
  CreateInstanceDto,
  CreateMachineTypeDto,
  CreateSubnetDto,
  CreateVpcDto,
  DataCenterDto,
  DataCenterPageDto,
  ExternalIpDto,
  ExternalIpPageDto,
  InstanceDto,
  InstancePageDto,
  InventoryListQueryDto,
  MachineTypeDto,
  MachineTypePageDto,
  SubnetDto,
  SubnetPageDto,
  UpdateSubnetDto,
  VpcDto,
  VpcPageDto,
} from './inventory.dto';
import { InventoryService } from './inventory.service';

const SORT_BY_NAME = (alias = 'r') => ({ createdAt: `${alias}.created_at`, name: `${alias}.name` });

// Operators register inventory (POST/DELETE); tenants list what belongs to them.

@ApiTags('inventory')
@ApiBearerAuth()
@Controller('api/v1/data-centers')
export class DataCentersController {
  constructor(private readonly inventory: InventoryService) {}
  @Post()
  @Roles('admin')
  @ApiCreatedResponse({ type: DataCenterDto })
  @ApiErrors(400, 409)
  create(@Body() dto: CreateDataCenterDto) {
    return this.inventory.createDataCenter(dto);
  }
  @Get()
  @ApiOkResponse({ type: DataCenterPageDto })
  @ApiErrors(400)
  list(@Query() q: ListQueryDto) {
    return this.inventory.listDataCenters(resolveListQuery(q, SORT_BY_NAME()));
  }
  @Delete(':id')
  @Roles('admin')
  @HttpCode(204)
  @ApiErrors(404, 409)
  remove(@Param('id') id: string) {
    return this.inventory.remove('dataCenter', id);
  }
}

@ApiTags('inventory')
@ApiBearerAuth()
@Controller('api/v1/machine-types')
export class MachineTypesController {
  constructor(private readonly inventory: InventoryService) {}
  @Post()
  @Roles('admin')
  @ApiCreatedResponse({ type: MachineTypeDto })
  @ApiErrors(400, 409)
  create(@Body() dto: CreateMachineTypeDto) {
    return this.inventory.createMachineType(dto);
  }
  @Get()
  @ApiOkResponse({ type: MachineTypePageDto })
  @ApiErrors(400)
  list(@Query() q: ListQueryDto) {
    return this.inventory.listMachineTypes(resolveListQuery(q, SORT_BY_NAME()));
  }
  @Delete(':id')
  @Roles('admin')
  @HttpCode(204)
  @ApiErrors(404, 409)
  remove(@Param('id') id: string) {
    return this.inventory.remove('machineType', id);
  }
}

@ApiTags('inventory')
@ApiBearerAuth()
@Controller('api/v1/vpcs')
export class VpcsController {
  constructor(private readonly inventory: InventoryService) {}
  @Post()
  @Roles('admin')
  @ApiCreatedResponse({ type: VpcDto })
  @ApiErrors(400, 409)
  create(@Body() dto: CreateVpcDto) {
    return this.inventory.createVpc(dto);
  }
  @Get()
  @ApiOkResponse({ type: VpcPageDto })
  @ApiErrors(400)
  list(@CurrentPrincipal() p: Principal, @Query() q: InventoryListQueryDto) {
    return this.inventory.listVpcs(p, resolveListQuery(q, SORT_BY_NAME()), q);
  }
  @Get(':id')
  @ApiOkResponse({ type: VpcDto })
  @ApiErrors(404)
  get(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    return this.inventory.getVpc(p, id);
  }
  @Delete(':id')
  @Roles('admin')
  @HttpCode(204)
  @ApiErrors(404, 409)
  remove(@Param('id') id: string) {
    return this.inventory.remove('vpc', id);
  }
}

@ApiTags('inventory')
@ApiBearerAuth()
@Controller('api/v1/subnets')
export class SubnetsController {
  constructor(private readonly inventory: InventoryService) {}
  @Post()
  @Roles('admin')
  @ApiCreatedResponse({ type: SubnetDto })
  @ApiErrors(400, 409)
  create(@Body() dto: CreateSubnetDto) {
    return this.inventory.createSubnet(dto);
  }
  @Get()
  @ApiOkResponse({ type: SubnetPageDto })
  @ApiErrors(400)
  list(@CurrentPrincipal() p: Principal, @Query() q: InventoryListQueryDto) {
    return this.inventory.listSubnets(p, resolveListQuery(q, SORT_BY_NAME()), q);
  }
  @Patch(':id')
  @Roles('admin')
  @ApiOkResponse({ type: SubnetDto })
  @ApiErrors(400, 404, 409)
  update(@Param('id') id: string, @Body() dto: UpdateSubnetDto) {
    return this.inventory.updateSubnet(id, dto);
  }
  @Delete(':id')
  @Roles('admin')
  @HttpCode(204)
  @ApiErrors(404, 409)
  remove(@Param('id') id: string) {
    return this.inventory.remove('subnet', id);
  }
}

@ApiTags('inventory')
@ApiBearerAuth()
@Controller('api/v1/external-ips')
export class ExternalIpsController {
  constructor(private readonly inventory: InventoryService) {}
  @Post()
  @Roles('admin')
  @ApiCreatedResponse({ type: ExternalIpDto })
  @ApiErrors(400, 409)
  create(@Body() dto: CreateExternalIpDto) {
    return this.inventory.createExternalIp(dto);
  }
  @Get()
  @ApiOkResponse({ type: ExternalIpPageDto })
  @ApiErrors(400)
  list(@CurrentPrincipal() p: Principal, @Query() q: InventoryListQueryDto) {
    return this.inventory.listExternalIps(p, resolveListQuery(q, { createdAt: 'r.created_at', address: 'r.address' }), q);
  }
  @Delete(':id')
  @Roles('admin')
  @HttpCode(204)
  @ApiErrors(404, 409)
  remove(@Param('id') id: string) {
    return this.inventory.remove('externalIp', id);
  }
}

@ApiTags('inventory')
@ApiBearerAuth()
@Controller('api/v1/instances')
export class InstancesController {
  constructor(private readonly inventory: InventoryService) {}
  @Post()
  @Roles('admin')
  @ApiCreatedResponse({ type: InstanceDto })
  @ApiErrors(400, 409)
  create(@Body() dto: CreateInstanceDto) {
    return this.inventory.createInstance(dto);
  }
  @Get()
  @ApiOkResponse({ type: InstancePageDto })
  @ApiErrors(400)
  list(@CurrentPrincipal() p: Principal, @Query() q: InventoryListQueryDto) {
    return this.inventory.listInstances(p, resolveListQuery(q, SORT_BY_NAME()), q);
  }
  @Delete(':id')
  @Roles('admin')
  @HttpCode(204)
  @ApiErrors(404, 409)
  remove(@Param('id') id: string) {
    return this.inventory.remove('instance', id);
  }
}

export const INVENTORY_CONTROLLERS = [
  DataCentersController,
  MachineTypesController,
  VpcsController,
  SubnetsController,
  ExternalIpsController,
  InstancesController,
];
